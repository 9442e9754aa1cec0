"""The ``perf-excel`` command: parses arguments, runs one command, renders errors once.

Each command lives in its own module ``perf_excel.cli_<name>`` exposing
``register(subparsers)``, which adds its parser and sets ``func`` (args -> exit code).
Errors derived from :class:`PerfExcelError` are printed here, in Chinese, with their
exit code; so are an :class:`OSError` that no layer below worded (naming the path) and
Ctrl-C (exit code 130); nothing else reaches the user as a traceback. The command runs with
its input files protected (:func:`perf_excel.files.outputs.protect_inputs`): no output replaces them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from perf_excel import _interrupt
from perf_excel.core.errors import PerfExcelError, UsageError

__all__ = ["main"]

#: Modules that add commands, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "perf_excel.cli.new",
    "perf_excel.cli.score",
    "perf_excel.cli.batch",
    "perf_excel.cli.report",
    "perf_excel.cli.templates",
    "perf_excel.cli.weights",
)
#: Attributes of the parsed arguments that name input files (their outputs must not replace them).
INPUT_ARGS: tuple[str, ...] = ("workbook", "workbooks", "previous", "template", "letter_template", "file")


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors raised (exit code 2) instead of printed and exited."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}\n{self.format_usage().strip()}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="perf-excel", description="绩效考核：计分、排名、评定等次并生成通报。")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="命令")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 bad input, 2 usage)."""
    for stream in (sys.stdout, sys.stderr):
        # Chinese text must not crash a GBK or ASCII console.
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass
    try:
        _interrupt.restore()  # from here on Ctrl-C is a KeyboardInterrupt, handled below
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        from perf_excel.files.outputs import protect_inputs

        with protect_inputs(_input_files(args)):
            return int(args.func(args) or 0)
    except UsageError as exc:
        print(usage_text(exc), file=sys.stderr)
        return exc.exit_code
    except PerfExcelError as exc:
        print(exc.naming(flag_of(exc.option)), file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(_interrupt.INTERRUPTED, file=sys.stderr)
        return 130
    except OSError as exc:
        # A read or write no layer below expected to fail (a folder made read-only meanwhile).
        from perf_excel.files.outputs import os_error_text

        where = exc.filename or "文件"
        print(f"{where}：无法读写（{os_error_text(exc)}）", file=sys.stderr)
        return 1


def _input_files(args: argparse.Namespace) -> list[str]:
    files: list[str] = []
    for name in INPUT_ARGS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            files.append(value)
        elif isinstance(value, list):
            files += [v for v in value if isinstance(v, str)]
    return files


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def add_switches(parser: argparse.ArgumentParser, switches: Sequence[tuple[str, str]]) -> None:
    """On/off options (``store_true``), each given as ``(flag, help)``."""
    for flag, text in switches:
        parser.add_argument(flag, action="store_true", help=text)


#: Library argument names whose flag is not simply ``--`` + the name with ``-`` for ``_``.
_FLAGS: dict[str, str] = {"documents": "--results-only", "output": "-o", "overwrite": "--force"}


def flag_of(option: str) -> str:
    """The command-line flag of a library argument name (``force`` → ``--force``)."""
    return _FLAGS.get(option, "--" + option.replace("_", "-")) if option else ""


def usage_text(exc: UsageError) -> str:
    """A usage error as the command line words it: 用法错误 once, the argument as its flag."""
    return f"用法错误：{exc.naming(flag_of(exc.option))}"
