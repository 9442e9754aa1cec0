"""Running conversions on a Dask cluster, each in a killable helper process of its worker thread."""

from __future__ import annotations

import os
import struct
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from perf_excel.batch.summary import KIND_CRASH, KIND_INPUT, KIND_INTERNAL
from perf_excel.batch.worker import (
    Converter,
    OnDone,
    Outcome,
    _crash_outcome,
    _crash_reason,
    _failure,
    _renderer,
    _timeout_outcome,
    _timeout_outcome_for,
    run_guarded,
)
from perf_excel.core.errors import InputError, OutputError, UsageError

if TYPE_CHECKING:
    from perf_excel.batch.discovery import _Task

# --------------------------------------------------------------------------- Dask: a killable helper process per task thread

#: Time a Dask task's helper process may take to start (imports) before the clock of the workbook starts.
_CHILD_START_TIMEOUT = 120.0
#: How long the parent waits beyond ``timeout`` for any Dask task to report before it gives all of
#: them up: the tasks bound themselves, this covers queueing, transfer and helper start.
_DASK_GRACE = 120.0
_FRAME = struct.Struct(">Q")


def _send(fh: Any, payload: bytes) -> None:
    fh.write(_FRAME.pack(len(payload)))
    fh.write(payload)
    fh.flush()


def _recv(fh: Any) -> bytes:
    def exactly(n: int) -> bytes:
        parts, left = [], n
        while left:
            chunk = fh.read(min(left, 1 << 24))
            if not chunk:
                raise EOFError("helper process closed its pipe")
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    (size,) = _FRAME.unpack(exactly(_FRAME.size))
    return exactly(size)


def _child_main() -> None:
    """The helper process of a Dask worker thread: converts workbooks sent on stdin, one at a time.

    Replies go to a private copy of stdout; whatever a converter prints goes to stderr. It
    ignores Ctrl-C (its Dask worker decides) and exits when stdin closes or its parent is gone.
    """
    import pickle
    import signal
    import sys
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    parent = os.getppid()

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    if os.name != "nt":
        threading.Thread(target=orphaned, daemon=True).start()
    # The imports a conversion needs, before saying ready: they are not the workbook's time.
    from perf_excel.core import assess  # noqa: F401
    from perf_excel.xlsx import reader, writer  # noqa: F401

    _renderer()
    _send(replies, b"ready")
    requests = sys.stdin.buffer
    while True:
        try:
            message = _recv(requests)
        except EOFError:
            return
        try:
            converter, name, data, options = pickle.loads(message)
        except Exception as exc:  # the converter's module is missing here: say so, stay up
            reason = f"无法在辅助进程中载入转换函数（{type(exc).__name__}: {exc}）"
            outcome = _failure(KIND_INTERNAL, reason)
        else:
            outcome = run_guarded(converter, name, data, options)
        _send(replies, pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))


class _Helper:
    """One helper process (:func:`_child_main`) for one Dask worker thread, kept between tasks.

    A Python thread cannot be stopped; a process can. A task that runs over its time is
    killed with its helper, and the worker thread is free for the next task at once, which
    then starts a new helper.
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def _exchange(self, payload: bytes | None, limit: float) -> tuple[bytes | None, bool]:
        """Send ``payload`` (if any) and wait up to ``limit`` seconds for the reply: (reply, timed out)."""
        assert self.proc is not None
        proc = self.proc
        box: dict[str, bytes] = {}

        def talk() -> None:
            try:
                if payload is not None:
                    _send(proc.stdin, payload)
                box["reply"] = _recv(proc.stdout)
            except (OSError, EOFError, ValueError, struct.error):
                pass

        thread = threading.Thread(target=talk, daemon=True)
        thread.start()
        thread.join(limit)
        if thread.is_alive():
            self.stop()
            thread.join(5)
            return None, True
        return box.get("reply"), False

    def _start(self) -> str:
        """Start the helper; returns why it could not start ("" when it did)."""
        import sys

        env = dict(os.environ)
        # The converter is found by module name, as the worker found it.
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from perf_excel.batch.cluster import _child_main; _child_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        reply, late = self._exchange(None, _CHILD_START_TIMEOUT)
        if reply == b"ready":
            return ""
        self.stop()
        return f"辅助进程启动超过 {_CHILD_START_TIMEOUT:g} 秒" if late else "辅助进程未能启动"

    def run(self, converter: Converter, name: str, data: bytes, options: dict[str, Any], timeout: float) -> Outcome:
        import pickle

        display = PurePosixPath(name).name
        if self.proc is None or self.proc.poll() is not None:
            why = self._start()
            if why:
                return _failure(KIND_CRASH, f"{display}：无法在 Dask 工作节点上处理（{why}）")
        payload = pickle.dumps((converter, name, data, options), protocol=pickle.HIGHEST_PROTOCOL)
        reply, late = self._exchange(payload, timeout)
        if late:
            return _timeout_outcome_for(display, timeout)
        if reply is None:
            code = self.stop()
            return _failure(KIND_CRASH, _crash_reason(display, f"退出码 {code}" if code is not None else ""))
        return pickle.loads(reply)

    def stop(self) -> int | None:
        """Kill the helper (if running); returns its exit code."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        try:
            code = proc.wait(10)
        except subprocess.TimeoutExpired:
            code = None
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        return code


_HELPERS = threading.local()


def dask_task(converter: Converter, name: str, data: bytes, options: dict[str, Any], timeout: float) -> Outcome:
    """What a Dask worker runs for one workbook: the conversion in this thread's helper process.

    The helper catches what the converter raises (native panics included) and is killed when
    it runs over ``timeout``; either way the task returns a record, so ``--timeout`` holds on
    a cluster as it does with local processes.
    """
    helper = getattr(_HELPERS, "helper", None)
    if helper is None:
        helper = _HELPERS.helper = _Helper()
    return helper.run(converter, name, data, options, timeout)


def _run_dask(
    tasks: list[_Task], scheduler: str, timeout: float, converter: Converter, options: dict, on_done: OnDone
) -> None:
    """Run tasks on a Dask distributed cluster. Workers need perf_excel installed, not our disk.

    Only about two tasks per worker thread are submitted at a time, so that a large batch
    is not sent to the scheduler all at once. Each task converts in a helper process of its
    worker (:func:`dask_task`), which is killed after ``timeout`` seconds: a hung or crashed
    workbook comes back as a timed-out or crashed record and the worker goes on. When a
    worker itself dies, Dask fails (``KilledWorker``) every task that was on it, the
    innocent ones too; those tasks are re-run one at a time at the end, and the one that
    kills a worker on its own is the crash. Should no task report for ``timeout`` plus a
    grace period (a cluster that stopped working), the ones left are timed out.
    """
    try:
        from distributed import Client, wait
    except ImportError:
        raise UsageError(
            "{option} 需要 Dask：请安装 pip install 'perf-excel[dask]'（dask[distributed]）", option="scheduler"
        ) from None
    try:
        client = Client(scheduler, timeout=f"{min(15.0, timeout):g}s", set_as_default=False)
    except Exception as exc:
        raise OutputError(f"无法连接 Dask 调度器 {scheduler}：{type(exc).__name__}: {exc}") from None
    futures: dict[Any, _Task] = {}

    def run(batch: Iterable[_Task], limit: int, suspects: list[_Task]) -> None:
        pending = deque(batch)
        inflight: set = set()
        while pending or inflight:
            while pending and len(inflight) < limit:
                task = pending.popleft()
                try:
                    data = task.load()
                except InputError as exc:
                    on_done(task, _failure(KIND_INPUT, str(exc)))
                    continue
                key = f"perf-excel-{task.sha256[:16]}-{task.index}-{os.getpid()}-{int(task.solo)}"
                fut = client.submit(
                    dask_task,
                    converter,
                    task.rel,
                    data,
                    task.options_for(options),
                    timeout,
                    key=key,
                    pure=False,
                    retries=0,
                )
                futures[fut] = task
                inflight.add(fut)
            if not inflight:
                continue
            try:
                with client.as_current():
                    done, not_done = wait(list(inflight), timeout=timeout + _DASK_GRACE, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done, not_done = set(), set(inflight)
            if not done:
                for fut in not_done:
                    on_done(futures[fut], _timeout_outcome(futures[fut], timeout))
                client.cancel(list(not_done), force=True)
                inflight.clear()
                continue
            for fut in done:
                task = futures[fut]
                inflight.discard(fut)
                try:
                    outcome = fut.result()
                except Exception as exc:
                    if type(exc).__name__ == "KilledWorker":
                        if task.solo:
                            on_done(task, _crash_outcome(task, "Dask 工作节点退出"))
                        else:
                            suspects.append(task)
                        continue
                    reason = f"{task.rel}：在 Dask 集群上处理失败（{type(exc).__name__}: {exc}）"
                    outcome = _failure(KIND_INTERNAL, reason)
                finally:
                    fut.release()
                on_done(task, outcome)

    try:
        threads = sum(client.nthreads().values()) or 1
        suspects: list[_Task] = []
        run(tasks, max(4, 2 * threads), suspects)
        for task in suspects:
            task.solo = True
        run(suspects, 1, [])
    except BaseException:
        client.cancel(list(futures), force=True)
        raise
    finally:
        client.close()
