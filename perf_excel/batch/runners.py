"""Running conversions on local worker processes; crashes and timeouts become failed records."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import time
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from perf_excel.batch.summary import KIND_INPUT, KIND_INTERNAL
from perf_excel.batch.worker import (
    Converter,
    OnDone,
    _crash_outcome,
    _failure,
    _pool_task,
    _timeout_outcome,
    _worker_init,
)
from perf_excel.core.errors import InputError

if TYPE_CHECKING:
    from perf_excel.batch.discovery import _Task

#: Seconds a task handed to a pool may wait for a worker process to start before it is given up.
_START_GRACE = 120.0


def _kill_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Stop a pool now, including workers stuck in a task."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14+
    procs = list((getattr(pool, "_processes", None) or {}).values())
    if kill is not None:
        kill()
    else:
        for proc in procs:
            try:
                proc.kill()
            except Exception:  # already gone
                pass
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(5)


def _run_local(
    tasks: list[_Task], jobs: int, timeout: float, converter: Converter, options: dict, on_done: OnDone
) -> None:
    """Run tasks on a process pool; crashes and timeouts become failed records, never a hang.

    At most ``jobs`` tasks are in flight, so each has a worker; its time starts when the
    worker reports that it began (a task never begun is given up ``_START_GRACE`` seconds
    later than that). When the pool breaks, the tasks that were in flight are re-run one at a time at the
    end: the one that breaks a pool on its own is the culprit; the others just complete.
    """
    ctx = multiprocessing.get_context("spawn")  # fork with threads (the progress bar) is unsafe
    pending: deque[_Task] = deque(tasks)
    solo: deque[_Task] = deque()
    # future -> (task, when submitted, when a worker began it or None)
    inflight: dict[cf.Future, tuple[_Task, float, float | None]] = {}
    pool: cf.ProcessPoolExecutor | None = None
    started: Any = None

    def submit(task: _Task) -> None:
        assert pool is not None
        try:
            data = task.load()
        except InputError as exc:
            on_done(task, _failure(KIND_INPUT, str(exc)))
            return
        fut = pool.submit(_pool_task, task.index, converter, task.rel, data, task.options_for(options))
        inflight[fut] = (task, time.monotonic(), None)

    def note_starts() -> None:
        by_index = {task.index: fut for fut, (task, _, _) in inflight.items()}
        while started is not None and not started.empty():
            fut = by_index.get(started.get())
            if fut is not None and fut in inflight:
                task, submitted, _ = inflight[fut]
                inflight[fut] = (task, submitted, time.monotonic())

    def deadline(submitted: float, begun: float | None) -> float:
        return begun + timeout if begun is not None else submitted + timeout + _START_GRACE

    def fill() -> None:
        if pending:
            while pending and len(inflight) < jobs:
                submit(pending.popleft())
        elif solo and not inflight:
            task = solo.popleft()
            task.solo = True
            submit(task)

    try:
        while pending or solo or inflight:
            if pool is None:
                workers = 1 if (not pending and solo) else max(1, min(jobs, len(pending)))
                # A new queue with each pool: a killed worker may have left the old one unusable.
                started = ctx.SimpleQueue()
                pool = cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(started,))
            fill()
            if not inflight:
                continue
            note_starts()
            now = time.monotonic()
            wait_for = max(0.05, min(deadline(sub, begun) - now for _, sub, begun in inflight.values()))
            if any(begun is None for _, _, begun in inflight.values()):
                wait_for = min(wait_for, 0.2)  # look again soon for the worker's "begun"
            done, _ = cf.wait(list(inflight), timeout=wait_for, return_when=cf.FIRST_COMPLETED)
            note_starts()
            broken = False
            finished = []
            for fut in done:
                task, _, _ = inflight.pop(fut)
                try:
                    finished.append((task, fut.result()))
                except BrokenProcessPool:
                    broken = True
                    _requeue_suspect(task, solo, on_done)
                except Exception as exc:  # pickling and similar: the task, not the worker
                    reason = f"{task.rel}：无法在工作进程中处理（{type(exc).__name__}: {exc}）"
                    finished.append((task, _failure(KIND_INTERNAL, reason)))
            if not broken:
                fill()  # keep the workers busy while this process writes the outputs
            for task, outcome in finished:
                on_done(task, outcome)
            if broken:
                for task, _, _ in list(inflight.values()):
                    _requeue_suspect(task, solo, on_done)
                inflight.clear()
                _kill_pool(pool)
                pool = None
                continue
            now = time.monotonic()
            late = [(fut, task) for fut, (task, sub, begun) in inflight.items() if now >= deadline(sub, begun)]
            if late:
                for fut, task in late:
                    del inflight[fut]
                    on_done(task, _timeout_outcome(task, timeout))
                # The hung worker cannot be cancelled, only killed, and with it the pool:
                # the innocent tasks that were in flight go back to the front of the queue.
                for task, _, _ in list(inflight.values()):
                    (solo if task.solo else pending).appendleft(task)
                inflight.clear()
                _kill_pool(pool)
                pool = None
    except BaseException:
        if pool is not None:
            _kill_pool(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _requeue_suspect(task: _Task, solo: deque[_Task], on_done: OnDone) -> None:
    if task.solo:
        on_done(task, _crash_outcome(task))
    else:
        solo.append(task)
