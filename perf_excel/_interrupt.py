"""Ctrl-C while ``perf-excel`` starts: one Chinese line and exit code 130, not a traceback.

Importing the package (pandas, numpy) takes about a second before :func:`perf_excel.cli.main`
runs and can catch :class:`KeyboardInterrupt`. In a process started as the command line,
importing this module (the first thing the package's ``__init__`` does) runs :func:`install`;
``main`` puts Python's usual handler back (:func:`restore`) and handles Ctrl-C itself from
then on, so that temporary files are cleaned up.
"""

from __future__ import annotations

# Only modules the interpreter has loaded already: this runs before anything else of ours.
import os
import signal
import sys

__all__ = ["INTERRUPTED", "install", "restore"]

INTERRUPTED = "已中断。"
_CLI_MODULES = ("perf_excel.cli", "perf_excel")


def _started_as_cli() -> bool:
    """Whether this process is ``perf-excel …`` or ``python -m perf_excel.cli …`` (not one of the
    batch's worker processes, which get the parent's ``sys.argv`` and handle Ctrl-C themselves)."""
    argv = list(getattr(sys, "orig_argv", ()))
    if any("multiprocessing" in a for a in argv):
        return False
    if os.path.basename(sys.argv[0] if sys.argv else "").lower().startswith("perf-excel"):
        return True
    return any(a == "-m" and b in _CLI_MODULES for a, b in zip(argv, argv[1:]))


def _quit(signum: int, frame: object) -> None:
    # Nothing has been written yet: leave at once, without unwinding a half-done import.
    try:
        sys.stderr.write(INTERRUPTED + "\n")
        sys.stderr.flush()
    finally:
        os._exit(130)


def install() -> None:
    """Make Ctrl-C quiet while the command line starts (only in a process started as the command line)."""
    if _started_as_cli() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        try:
            signal.signal(signal.SIGINT, _quit)
        except ValueError:  # not the main thread: not the command line's start-up
            pass


def restore() -> None:
    """Python's own Ctrl-C handling (KeyboardInterrupt) again, if :func:`install` replaced it."""
    if signal.getsignal(signal.SIGINT) is _quit:
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        except ValueError:  # not the main thread: install() did not run here either
            pass


install()
