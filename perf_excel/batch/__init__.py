"""Headless batch conversion: every workbook of a folder to results and documents.

:func:`run_batch` finds the workbooks under the input folder, converts each one in a
worker process (or on a Dask cluster) and writes ``OUT_DIR/<relative path without
suffix>/`` with the results workbook and the Word documents, then ``batch-summary.json``
and ``batch-summary.xlsx``.

How the parts fit together, and why:

* Workers never write into OUT_DIR. A worker gets a workbook's bytes, converts it in a
  private temporary folder and returns the produced files as bytes. Only the parent
  process writes into OUT_DIR, each file under a temporary name and then renamed, with
  every path component sanitised. An interrupted or crashed run therefore leaves no
  half-written document, a unit named ``../../x`` cannot escape OUT_DIR, and the same
  task runs unchanged on a Dask cluster whose workers share no disk with us.
* One bad workbook is one failed record: workers turn every exception into a record;
  a worker that dies (``BrokenProcessPool``) or hangs (timeout) is killed, the others'
  tasks are re-run, and a suspect is re-run alone before it is blamed.
* ``.perf-excel-batch/manifest.json`` remembers each source's content hash, the options
  and the files written, so a re-run skips what has not changed (unless ``force``) and
  removes outputs a previous run wrote that the new conversion no longer produces.
* A worker renders its documents through :mod:`perf_excel.pipeline`, as ``perf-excel report``
  does, templates named in 设置 (通报模板, 反馈单模板) included; the manifest keeps their
  hashes, so a changed template converts the workbook again.
* ``.perf-excel-batch/lock`` is held (an OS file lock, released even if we are killed)
  for the whole run, so two batches cannot write into the same OUT_DIR.

The parts, one module each: :mod:`.discovery` (finding the workbooks), :mod:`.worker`
(converting one), :mod:`.runners` and :mod:`.cluster` (local processes; Dask), :mod:`.state`
(lock, manifest, committing outputs) and :mod:`.summary` (records, JSON and workbook).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from perf_excel.batch.cluster import _child_main, _run_dask, dask_task
from perf_excel.batch.discovery import _assign_output_dirs, _file_sha256, _Task, discover
from perf_excel.batch.runners import _run_local
from perf_excel.batch.state import (
    _TMP_MARK,
    LOCK,
    MANIFEST,
    STATE_DIR,
    _commit_outputs,
    _load_manifest,
    _ManifestSaver,
    _options_key,
    _OutLock,
    _remove_stale,
    _sweep_temporaries,
    _unchanged,
    _write_atomic,
    safe_relpath,
    templates_digest,
)
from perf_excel.batch.summary import (
    FAILED,
    KIND_INPUT,
    KIND_OUTPUT,
    NOT_RUN,
    OK,
    STATUS_TEXT,
    SUMMARY_JSON,
    SUMMARY_XLSX,
    UNCHANGED,
    BatchSummary,
    FileRecord,
    _fill,
    _restore,
    _write_summary_safely,
    write_summary,
)
from perf_excel.batch.worker import (
    Converter,
    Outcome,
    _failure,
    _render_documents,
    classify_exception,
    convert_workbook,
    is_panic,
    run_guarded,
)
from perf_excel.core.errors import InputError, OutputError, PerfExcelError, UsageError
from perf_excel.files.inputs import MAX_WORKBOOK_BYTES, os_reason

__all__ = [
    "BatchSummary",
    "FileRecord",
    "classify_exception",
    "convert_workbook",
    "is_panic",
    "run_guarded",
    "discover",
    "run_batch",
    "safe_relpath",
    "SUMMARY_JSON",
    "SUMMARY_XLSX",
]

# Names tests and the command line take from here; they live in the modules of their job.
_REEXPORTED = (
    FAILED,
    LOCK,
    MANIFEST,
    MAX_WORKBOOK_BYTES,
    NOT_RUN,
    OK,
    STATUS_TEXT,
    UNCHANGED,
    _TMP_MARK,
    _child_main,
    _file_sha256,
    _remove_stale,
    _render_documents,
    _write_atomic,
    dask_task,
    write_summary,
)

#: Default per-workbook time limit in seconds; a worker over it is killed and the file reported.
DEFAULT_TIMEOUT = 600.0


def run_batch(
    inputs: str | os.PathLike | Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    jobs: int | None = None,
    pattern: str | None = None,
    pdf: bool = False,
    documents: bool = True,
    force: bool = False,
    scheduler: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str, Any], None] | None = None,
    converter: Converter | None = None,
) -> BatchSummary:
    """Convert every workbook of ``inputs`` (folders, searched recursively, or files) into ``out_dir``.

    Args:
        inputs: a folder, a workbook, or a list of them.
        out_dir: the output folder (created if missing); one sub-folder per workbook.
        jobs: worker processes (default: the number of CPUs).
        pattern: glob the relative path or the file name must match (e.g. ``"2025/*.xlsx"``).
        pdf: also produce PDFs of the documents (LibreOffice).
        documents: render the bulletin and letters; False writes only the results workbook.
        force: convert even workbooks that have not changed since their outputs were written.
        scheduler: a Dask scheduler address (``tcp://host:8786``) to run the tasks on.
        timeout: seconds one workbook may take before its worker is killed and it is reported.
        progress: called as ``progress("start", n_total)`` and ``progress("file", FileRecord)``.
        converter: the per-workbook function (for tests); must be importable by workers.

    Returns:
        The summary (also written as ``batch-summary.json`` and ``batch-summary.xlsx``).
        Raises :class:`UsageError` for wrong arguments and :class:`OutputError` when the
        output folder is locked by another batch or cannot be written.
    """
    t0 = time.perf_counter()
    started = datetime.now().isoformat(timespec="seconds")
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    out = Path(out_dir)
    _check_arguments(items, out, jobs, timeout, scheduler, pdf, documents)
    found, ignored = discover(items, pattern, exclude=out)
    options = {
        "pdf": bool(pdf),
        "documents": bool(documents),
        "force": bool(force),
        "pattern": pattern,
        "scheduler": scheduler,
        "timeout": timeout,
        "jobs": None if scheduler else (jobs or _cpu_count()),
    }
    summary = BatchSummary(", ".join(str(i) for i in items), str(out), options, [], ignored, started)
    lock = _OutLock(_state_dir(out))
    lock.acquire()
    try:
        _sweep_temporaries(out)
        run = _Run(out, _load_manifest(out / STATE_DIR / MANIFEST), _options_key(options), summary, progress)
        tasks = run.plan(found, force)
        try:
            _run_tasks(tasks, options, converter or convert_workbook, run.done)
        except KeyboardInterrupt:
            summary.interrupted = True
        except PerfExcelError:
            raise
        except Exception as exc:
            # A bug of ours in the middle of the run: what was done is kept and summarised.
            summary.errors.append(
                f"批量处理意外中止：程序内部错误（{type(exc).__name__}: {exc}），未处理的工作簿见汇总"
            )
        finally:
            run.saver.save()
        summary.files = [run.records[i] for i in sorted(run.records)]
        summary.seconds = time.perf_counter() - t0
        _write_summary_safely(summary, out)
        if summary.interrupted:
            raise KeyboardInterrupt
        return summary
    finally:
        lock.release()


def _check_arguments(
    items: Sequence[str | os.PathLike],
    out: Path,
    jobs: int | None,
    timeout: float,
    scheduler: str | None,
    pdf: bool,
    documents: bool,
) -> None:
    """:class:`UsageError` for arguments that cannot work, before anything is read or written."""
    if jobs is not None and jobs < 1:
        raise UsageError(f"{{option}} 应为正整数，而不是 {jobs}", option="jobs")
    if not timeout or timeout <= 0:
        raise UsageError(f"{{option}} 应为正数，而不是 {timeout}", option="timeout")
    if scheduler is not None and not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", scheduler):
        raise UsageError(f"{{option}} 应为调度器地址，例如 tcp://主机:8786，而不是 “{scheduler}”", option="scheduler")
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出位置 {out} 是一个文件，不是文件夹")
    for item in items:
        src = Path(item).resolve()
        if src.is_dir() and (src == out.resolve() or src.is_relative_to(out.resolve())):
            raise UsageError(f"输出文件夹 {out} 不能是输入文件夹 {item} 本身或其上级，请另选一个输出文件夹")
    if pdf and not documents:
        raise UsageError("{option} 需要生成文档（documents=True）", option="pdf")


def _state_dir(out: Path) -> Path:
    try:
        state = out / STATE_DIR
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法创建输出文件夹 {out}：{os_reason(exc)}") from None
    return state


def _run_tasks(tasks: list[_Task], options: dict[str, Any], convert: Converter, on_done: Any) -> None:
    # Big workbooks first: the batch ends sooner when the long ones do not start last.
    tasks.sort(key=lambda t: -t.size)
    if tasks and options["scheduler"]:
        _run_dask(tasks, options["scheduler"], options["timeout"], convert, options, on_done)
    elif tasks:
        _run_local(tasks, min(options["jobs"], len(tasks)), options["timeout"], convert, options, on_done)


@dataclass
class _Run:
    """One batch's records and manifest: what to convert, and each finished conversion committed."""

    out: Path
    manifest: dict[str, Any]
    opt_key: str
    summary: BatchSummary
    progress: Callable[[str, Any], None] | None

    def __post_init__(self) -> None:
        self.records: dict[int, FileRecord] = {}
        self.saver = _ManifestSaver(self.out / STATE_DIR / MANIFEST, self.manifest, self.summary.errors)

    def report(self, record: FileRecord) -> None:
        if self.progress:
            self.progress("file", record)

    def plan(self, found: Sequence[tuple[Path, str]], force: bool) -> list[_Task]:
        """A record for every workbook found; the tasks of those not unchanged since the last run."""
        if self.progress:
            self.progress("start", len(found))
        tasks = []
        out_rels = _assign_output_dirs([rel for _, rel in found])
        for i, ((path, rel), out_rel) in enumerate(zip(found, out_rels)):
            record = self.records[i] = FileRecord(source=rel, output_dir=out_rel)
            try:
                sha, size = _file_sha256(path, PurePosixPath(rel).name)
            except InputError as exc:
                _fill(record, _failure(KIND_INPUT, str(exc))["record"])
                self.report(record)
                continue
            record.sha256 = sha
            old = self.manifest.get(rel)
            if not force and _unchanged(self.out, old, sha, self.opt_key, out_rel):
                _restore(record, old)
                self.report(record)
                continue
            tasks.append(_Task(i, path, rel, out_rel, size, sha))
        return tasks

    def done(self, task: _Task, outcome: Outcome) -> None:
        """Commit a finished conversion: outputs in place, then the record and the manifest.

        Ctrl-C waits until the record and the manifest agree: a record counted OK whose manifest
        entry was lost would be converted again, one counted not run whose entry was saved would
        be skipped as unchanged.
        """
        with _signals_deferred():
            self._done(task, outcome)

    def _done(self, task: _Task, outcome: Outcome) -> None:
        record = self.records[task.index]
        record.sha256 = task.sha256
        data, outputs = outcome["record"], []
        old = self.manifest.get(task.rel) or {}
        if data.get("status") == OK:
            # The record says OK only once its outputs are in place: a Ctrl-C during the
            # commit leaves it not run (converted again next time), never OK without outputs.
            try:
                outputs = _commit_outputs(self.out, task.out_rel, outcome["files"])
            except OutputError as exc:
                data = _failure(KIND_OUTPUT, str(exc))["record"]
            except OSError as exc:
                where = Path(exc.filename).name if exc.filename else task.out_rel
                reason = f"{task.rel}：无法写入输出 {where}（{os_reason(exc)}），此工作簿的输出不完整"
                data = _failure(KIND_OUTPUT, reason)["record"]
        _fill(record, data)
        if record.status == OK:
            record.outputs = outputs
            _remove_stale(self.out, old.get("outputs", []), record.outputs)
            self.manifest[task.rel] = _manifest_entry(task, record, self.opt_key, data.get("templates", []))
        elif old:
            # A failed conversion keeps the last good outputs on disk, but they are no longer
            # current: forget the hash so that the next run tries again.
            old["sha256"] = ""
        self.saver.changed()
        self.report(record)


def _manifest_entry(task: _Task, record: FileRecord, opt_key: str, templates: Sequence[str]) -> dict[str, Any]:
    return {
        "sha256": task.sha256,
        "options": opt_key,
        "output_dir": task.out_rel,
        "outputs": record.outputs,
        "templates": templates_digest(templates),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "record": {k: v for k, v in record.to_dict().items() if k not in ("outputs", "source")},
    }


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM held back for the block (POSIX, main thread); delivered right after it."""
    block = getattr(signal, "pthread_sigmask", None)
    if block is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = block(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, previous)
