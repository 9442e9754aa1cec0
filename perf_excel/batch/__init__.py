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
* ``.perf-excel-batch/lock`` is held (an OS file lock, released even if we are killed)
  for the whole run, so two batches cannot write into the same OUT_DIR.
"""

from __future__ import annotations

import concurrent.futures as cf
import errno
import fnmatch
import hashlib
import io
import json
import multiprocessing
import os
import re
import socket
import struct
import subprocess
import tempfile
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from perf_excel import __version__
from perf_excel.core.errors import InputError, OutputError, PerfExcelError, Problem, TemplateError, UsageError
from perf_excel.files.inputs import MAX_WORKBOOK_BYTES, file_problem, iter_regular, os_reason, read_regular
from perf_excel.files.outputs import TMP_MARK, atomic_file, safe_name

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

SUMMARY_JSON = "batch-summary.json"
SUMMARY_XLSX = "batch-summary.xlsx"
STATE_DIR = ".perf-excel-batch"
MANIFEST = "manifest.json"
LOCK = "lock"
RESULTS_NAME = "结果.xlsx"
LETTERS_DIR = "反馈单"
PDF_DIR = "PDF"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: Other spreadsheet files found in the folder are listed as ignored, with the reason.
_OTHER_SPREADSHEETS = {".xls": "旧版 .xls 格式不支持，请另存为 .xlsx", ".et": "WPS .et 格式不支持，请另存为 .xlsx"}
#: Default per-workbook time limit in seconds; a worker over it is killed and the file reported.
DEFAULT_TIMEOUT = 600.0
_TMP_MARK = TMP_MARK

# Status values in the summary (JSON keeps these stable English words; the workbook shows Chinese).
OK, FAILED, UNCHANGED, NOT_RUN = "ok", "failed", "unchanged", "not_run"
STATUS_TEXT = {OK: "成功", FAILED: "失败", UNCHANGED: "未变化，已跳过", NOT_RUN: "未处理（已中断）"}
# Kinds of failure.
KIND_INPUT, KIND_TEMPLATE, KIND_OUTPUT, KIND_CRASH, KIND_TIMEOUT, KIND_INTERNAL = (
    "input",
    "template",
    "output",
    "crash",
    "timeout",
    "internal",
)


# --------------------------------------------------------------------------- names


def safe_relpath(relpath: str) -> PurePosixPath:
    """A relative path (``/`` or ``\\`` separated, from anywhere) as sanitised components.

    ``..``, ``.``, empty parts and drive or root prefixes cannot climb out: every part
    goes through the shared file-name rule (:func:`perf_excel.files.outputs.safe_name`),
    so the result always stays below its base folder.
    """
    parts = [p for p in re.split(r"[/\\]+", str(relpath)) if p not in ("", ".")]
    if not parts:
        return PurePosixPath("_")
    return PurePosixPath(*(safe_name(p) for p in parts))


# --------------------------------------------------------------------------- records


@dataclass
class FileRecord:
    """What happened to one workbook; one row of the summary."""

    source: str
    output_dir: str
    status: str = NOT_RUN
    kind: str = ""
    reason: str = ""
    units: int = 0
    grades: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sha256: str = ""
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BatchSummary:
    """What :func:`run_batch` returns and writes to ``batch-summary.json``."""

    in_dir: str
    out_dir: str
    options: dict[str, Any]
    files: list[FileRecord]
    ignored: list[dict[str, str]]
    started: str
    seconds: float = 0.0
    interrupted: bool = False
    #: Problems of the batch itself (the disk filled up, the manifest or the summary could not
    #: be written), in Chinese; any of them makes the exit code 1.
    errors: list[str] = field(default_factory=list)
    #: The summary files actually written (``batch-summary.json``/``.xlsx``), as paths.
    written: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> list[FileRecord]:
        return [f for f in self.files if f.failed]

    @property
    def exit_code(self) -> int:
        """0 when every workbook succeeded (or was unchanged), 1 when any failed or the batch had a problem."""
        if self.interrupted:
            return 130
        return 1 if self.failed or self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "in_dir": self.in_dir,
            "out_dir": self.out_dir,
            "options": self.options,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
            "exit_code": self.exit_code,
            "counts": {
                "total": len(self.files),
                OK: self.count(OK),
                FAILED: self.count(FAILED),
                UNCHANGED: self.count(UNCHANGED),
                NOT_RUN: self.count(NOT_RUN),
                "ignored": len(self.ignored),
            },
            "files": [f.to_dict() for f in self.files],
            "ignored": self.ignored,
            "errors": self.errors,
        }


def _with_file(p: Problem, display: str) -> Problem:
    # Messages about the whole file already start with its name (``x.xlsx：文件已损坏``).
    return p if p.message.startswith(display) else p.with_file(display)


def _problem_dict(p: Problem) -> dict[str, str]:
    return {"file": p.file, "sheet": p.sheet, "cell": p.cell, "message": p.message, "text": str(p)}


# --------------------------------------------------------------------------- the worker


def _render_documents(results: Any, out_dir: Path, pdf: bool) -> list[str]:
    """Bulletin, feedback letters (and PDFs) into ``out_dir``, laid out as ``perf-excel report`` does.

    Returns the renderer's warnings (e.g. no CJK font for the charts). Without the rendering
    adapter only the results workbook is produced.
    """
    if _renderer() is None:
        return []
    from perf_excel.documents import render_bulletin, render_letters

    written = [render_bulletin(results, out_dir)]
    run = render_letters(results, out_dir / LETTERS_DIR)
    written += run.files
    warnings = list(run.warnings)
    lost = len(run.files) - len(set(run.files))
    if lost:
        # Two units whose letters got one file name: the second overwrote the first. Say so
        # rather than report fewer letters than units without a word.
        warnings.append(f"有 {lost} 份反馈单与其他单位的反馈单文件名相同而被覆盖，请检查单位编码和名称是否重复")
    if pdf:
        from perf_excel.documents.pdf import to_pdf

        to_pdf(written, out_dir / PDF_DIR)
    return warnings


def _renderer() -> Any:
    """The rendering adapter (perf_excel.documents), or None where it is not available."""
    try:
        from perf_excel import documents as render
    except ImportError:
        return None
    return render if hasattr(render, "render_letters") else None


def convert_workbook(name: str, data: bytes, options: dict[str, Any]) -> dict[str, Any]:
    """Convert one workbook given as bytes; runs in a worker process or on a Dask worker.

    Returns ``{"record": {...}, "files": [(relative path, bytes), ...]}``. Every problem
    of the input becomes a failed record; nothing but a dead process escapes.
    """
    start = time.perf_counter()
    record: dict[str, Any] = {"status": FAILED, "kind": "", "reason": "", "errors": [], "warnings": []}
    files: list[tuple[str, bytes]] = []
    display = PurePosixPath(name).name
    try:
        from perf_excel.core.assess import assess
        from perf_excel.xlsx.reader import read_workbook
        from perf_excel.xlsx.writer import write_results

        with tempfile.TemporaryDirectory(prefix="perf-excel-batch-") as tmp:
            work = Path(tmp)
            # Keep the user's file name (messages quote it) where this system allows it.
            src = work / "in" / (safe_name(display) if os.name == "nt" else display)
            src.parent.mkdir()
            src.write_bytes(data)
            out = work / "out"
            out.mkdir()
            try:
                scheme, dataset, warnings = read_workbook(src)
                results = assess(scheme, dataset)
            except InputError as exc:
                exc = InputError(_with_file(p, display) for p in exc.problems)
                record.update(kind=KIND_INPUT, errors=[_problem_dict(p) for p in exc.problems])
                record["reason"] = str(exc.problems[0]) if exc.problems else str(exc)
                record["seconds"] = time.perf_counter() - start
                return {"record": record, "files": []}
            all_warnings = [_with_file(w, display) for w in (*warnings, *results.warnings)]
            record["warnings"] = [_problem_dict(w) for w in all_warnings]
            record["units"] = len(results.table)
            counts = Counter(str(g) for g in results.table["grade"])
            # Best grade first, every grade of the scheme present (0 when nobody has it).
            order = [name for name, _ in scheme.settings.grades] + sorted(
                set(counts) - {n for n, _ in scheme.settings.grades}
            )
            record["grades"] = {g: counts.get(g, 0) for g in order}
            write_results(results, out / RESULTS_NAME)
            texts = _render_documents(results, out, bool(options.get("pdf"))) if options.get("documents", True) else []
            for text in texts:
                record["warnings"].append({"file": display, "sheet": "", "cell": "", "message": text, "text": text})
            # Every file of the private folder is an output: a unit called ``x.perf-tmp-y`` has a
            # letter whose name looks like a temporary file, and it must not be dropped.
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    files.append((path.relative_to(out).as_posix(), path.read_bytes()))
        record.update(status=OK)
    except TemplateError as exc:
        record.update(kind=KIND_TEMPLATE, reason=f"{display}：模板错误：{exc}")
    except OutputError as exc:
        record.update(kind=KIND_OUTPUT, reason=f"{display}：{exc}")
    except PerfExcelError as exc:
        record.update(kind=KIND_INPUT, reason=f"{display}：{exc}")
    except Exception as exc:  # one bad workbook must not stop the batch
        kind, reason = classify_exception(exc, display)
        record.update(kind=kind, reason=reason, detail=traceback.format_exc())
    if record["status"] != OK:
        files = []
        if not record["errors"]:
            record["errors"] = [
                {"file": display, "sheet": "", "cell": "", "message": record["reason"], "text": record["reason"]}
            ]
    record["seconds"] = time.perf_counter() - start
    return {"record": record, "files": files}


def is_panic(exc: BaseException) -> bool:
    """True for a Rust panic surfacing from a native extension (python-calamine, via pyo3).

    ``pyo3_runtime.PanicException`` derives from :class:`BaseException`, so ``except
    Exception`` lets it through; it cannot be imported by name, so it is known by its type's
    name and module. Nothing else that derives from BaseException (Ctrl-C, ``sys.exit``) is.
    """
    cls = type(exc)
    return cls.__name__ == "PanicException" and cls.__module__.split(".")[0].startswith("pyo3")


#: Messages of errors raised for characters XML cannot hold (lxml, openpyxl, the standard library).
_XML_CHAR_WORDS = ("xml compatible", "illegalcharacter", "control character", "null byte", "null character")


def classify_exception(exc: BaseException, display: str) -> tuple[str, str]:
    """Kind and Chinese reason of an exception no part of the program turned into a message.

    The workbook's content causes some of them, and they are reported as input problems that
    name the file: a value the native reader cannot convert (a panic), nesting too deep
    (RecursionError), characters XML cannot hold, a unit name too long for a file name, a
    workbook too big for memory. A full temporary disk is an output problem. Everything else
    is a bug of ours: 程序内部错误.
    """
    name = type(exc).__name__
    text = f"{name} {exc}".lower()
    if is_panic(exc):
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else name
        return KIND_INPUT, (
            f"{display}：读取组件无法处理工作簿中的某个值（{detail}），文件可能含有异常数据"
            "（例如超出范围的日期）；请在 Excel 中检查后重新保存"
        )
    if isinstance(exc, RecursionError):
        return KIND_INPUT, f"{display}：工作簿内容嵌套过深（例如公式层层嵌套），超出处理能力；请简化后重试"
    if isinstance(exc, MemoryError):
        return KIND_INPUT, f"{display}：内存不足，无法处理此工作簿（工作簿过大）"
    if isinstance(exc, OSError):
        if exc.errno == errno.ENAMETOOLONG:
            return KIND_INPUT, (
                f"{display}：由工作簿中的名称（如单位名称、考核名称）生成的文件名过长，超出系统限制；请缩短名称后重试"
            )
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return KIND_OUTPUT, f"{display}：临时文件夹磁盘空间不足，无法生成输出"
        return KIND_OUTPUT, f"{display}：读写临时文件时出错（{os_reason(exc)}）"
    if isinstance(exc, UnicodeError) and "surrogate" in text:
        return KIND_INPUT, f"{display}：工作簿中含有无法编码的字符（孤立的代理字符），请删除后重试"
    if isinstance(exc, (ValueError, TypeError)) or name == "IllegalCharacterError":
        if any(word in text for word in _XML_CHAR_WORDS):
            return KIND_INPUT, f"{display}：工作簿中含有控制字符等不能写入文档的字符，请删除这些字符后重试"
        if "char limit for property" in text:  # python-docx: a document property over 255 characters
            return KIND_INPUT, (
                f"{display}：工作簿中的名称（如单位名称、考核名称）超过 255 个字符，无法写入文档属性；请缩短名称后重试"
            )
        if "file name too long" in text or "filename too long" in text:
            return KIND_INPUT, f"{display}：由工作簿中的名称生成的文件名过长，超出系统限制；请缩短名称后重试"
    return KIND_INTERNAL, f"{display}：程序内部错误（{name}: {exc}），请将此文件反馈给维护人员"


def run_guarded(converter: Converter, name: str, data: bytes, options: dict[str, Any]) -> Outcome:
    """``converter(name, data, options)``, with what escapes it turned into a failed record.

    Runs in the worker (process pool, or the helper process of a Dask task). Catches
    :class:`Exception` and native panics only: Ctrl-C and ``sys.exit`` keep their meaning.
    """
    display = PurePosixPath(name).name
    try:
        return converter(name, data, options)
    except Exception as exc:
        kind, reason = classify_exception(exc, display)
    except BaseException as exc:
        if not is_panic(exc):
            raise
        kind, reason = classify_exception(exc, display)
    outcome = _failure(kind, reason)
    outcome["record"]["detail"] = traceback.format_exc()
    return outcome


#: In a pool worker: where it says which task it starts (see :func:`_pool_task`).
_STARTED: Any = None


def _worker_init(started: Any = None) -> None:
    """Worker processes ignore Ctrl-C: the parent handles it and stops them."""
    import signal

    global _STARTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STARTED = started


def _pool_task(index: int, converter: Converter, name: str, data: bytes, options: dict[str, Any]) -> Outcome:
    """What a pool worker runs: it tells the parent the workbook starts now, then converts it.

    A workbook's time starts when a worker begins it, not when it was handed to a pool whose
    processes are still starting (seconds on a loaded machine, which is not the workbook's).
    """
    if _STARTED is not None:
        _STARTED.put(index)
    return run_guarded(converter, name, data, options)


# --------------------------------------------------------------------------- discovery


@dataclass
class _Task:
    """One workbook to convert. Its bytes are read only when it is submitted (a province's
    workbooks need not fit in memory), and hashed again then: the manifest records the hash
    of what was converted, even if the file changed since discovery."""

    index: int
    source: Path
    rel: str
    out_rel: str
    size: int = 0
    sha256: str = ""
    solo: bool = False

    def load(self) -> bytes:
        """The workbook's bytes (a regular file of at most :data:`MAX_WORKBOOK_BYTES`), hashed.

        Raises :class:`InputError` when it is no longer a regular file, grew past the bound
        or cannot be read.
        """
        data = read_regular(self.source, MAX_WORKBOOK_BYTES, PurePosixPath(self.rel).name)
        self.sha256 = hashlib.sha256(data).hexdigest()
        return data


def _file_sha256(path: Path, display: str) -> tuple[str, int]:
    """Content hash and size of a regular file, reading at most :data:`MAX_WORKBOOK_BYTES`.

    Raises :class:`InputError` (naming ``display``) for anything else: a FIFO swapped in
    after discovery must not block the parent, a device must not be read forever.
    """
    digest = hashlib.sha256()
    size = 0
    for chunk in iter_regular(path, MAX_WORKBOOK_BYTES, display):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def discover(
    inputs: str | os.PathLike | Sequence[str | os.PathLike],
    pattern: str | None = None,
    exclude: Path | None = None,
) -> tuple[list[tuple[Path, str]], list[dict[str, str]]]:
    """Workbooks to convert as ``(path, relative name)``, and the files ignored (with a reason).

    A folder is searched recursively for ``.xlsx``/``.xlsm``; Excel's ``~$`` lock files,
    hidden files and folders and ``exclude`` (the output folder) are left out. ``pattern``
    is matched against the relative path (``/`` separated) and against the file name.

    Only regular files are workbooks. A FIFO, a device (``/dev/zero``) or a socket named
    ``x.xlsx``, or a link to one, is ignored with its reason: opening or hashing it would
    wait or read forever. A symbolic link is followed when its target is a regular file
    (a workbook kept elsewhere and linked in is the user's choice); links to folders are
    not followed, so the search cannot loop. A folder named ``x.xlsx`` is searched like any
    other folder.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    several = len(inputs) > 1
    found: list[tuple[Path, str]] = []
    ignored: list[dict[str, str]] = []
    exclude_resolved = exclude.resolve() if exclude else None
    for item in inputs:
        root = Path(item)
        if not root.exists() and not root.is_symlink():
            raise UsageError(f"用法错误：输入 {root} 不存在")
        if not root.is_dir():
            # A file named explicitly is converted whatever its suffix (and fails with the reason).
            if root.name.startswith("~$"):
                continue
            problem = file_problem(root, "")
            if problem:
                ignored.append({"source": root.name, "reason": problem})
            else:
                found.append((root, root.name))
            continue
        prefix = f"{safe_name(root.resolve().name)}/" if several else ""
        for path in _walk(root, exclude_resolved, ignored, prefix):
            rel = prefix + path.relative_to(root).as_posix()
            name = path.name
            suffix = path.suffix.lower()
            if name.startswith("~$"):
                if suffix in WORKBOOK_SUFFIXES:
                    ignored.append({"source": rel, "reason": "Excel 打开文件时生成的锁定文件（~$），已跳过"})
                continue
            if pattern and not (fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern)):
                continue
            if suffix in WORKBOOK_SUFFIXES:
                problem = file_problem(path, "")
                if problem:
                    ignored.append({"source": rel, "reason": problem})
                else:
                    found.append((path, rel))
            elif suffix in _OTHER_SPREADSHEETS:
                ignored.append({"source": rel, "reason": _OTHER_SPREADSHEETS[suffix]})
    found.sort(key=lambda t: t[1])
    return found, ignored


def _walk(root: Path, exclude: Path | None, ignored: list[dict[str, str]], prefix: str) -> Iterator[Path]:
    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename or root)
        rel = where.relative_to(root).as_posix() if where.is_relative_to(root) else where.name
        ignored.append({"source": prefix + rel, "reason": f"无法读取此文件夹（{os_reason(exc)}），其中的文件未处理"})

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if (here / d).is_symlink():
                # os.walk lists a link to a folder among the folders and does not enter it;
                # a link named like a workbook is treated as the file it claims to be.
                if Path(d).suffix.lower() in WORKBOOK_SUFFIXES:
                    filenames.append(d)
                continue
            if exclude is not None and (here / d).resolve() == exclude:
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if not f.startswith("."):
                yield here / f


def _numbered(name: str, n: int, suffix: str = "") -> str:
    """``name~n`` + ``suffix`` as one safe component, shortening ``name`` until the number fits."""
    stem = name
    while True:
        candidate = safe_name(f"{stem}~{n}{suffix}")
        if candidate.endswith(f"~{n}{suffix}") or not stem:
            return candidate
        stem = stem[: -max(1, len(stem) // 8)]


def _assign_output_dirs(rels: Sequence[str]) -> list[str]:
    """OUT_DIR-relative folder of each source: its path without suffix, sanitised, unique.

    Two sources may map to one folder (``a.xlsx`` and ``a.xlsm``; ``a:b`` and ``a_b``;
    ``A`` and ``a`` on Windows); the later ones get ``~2``, ``~3``.
    """
    taken = {SUMMARY_JSON.casefold(), SUMMARY_XLSX.casefold(), STATE_DIR.casefold()}
    out = []
    for rel in rels:
        p = PurePosixPath(rel)
        base = safe_relpath(str(p.with_suffix("")) if p.suffix else str(p))
        candidate, n = base, 1
        while candidate.as_posix().casefold() in taken:
            n += 1
            candidate = base.with_name(_numbered(base.name, n))
        taken.add(candidate.as_posix().casefold())
        out.append(candidate.as_posix())
    return out


# --------------------------------------------------------------------------- output folder


_LOCK_OFFSET = 1 << 20
_LOCK_HELD = {errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, getattr(errno, "EDEADLOCK", errno.EDEADLK)}


class _OutLock:
    """An exclusive OS lock on ``OUT_DIR/.perf-excel-batch/lock``, released when we exit or die."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK
        self._fh: Any = None

    def acquire(self) -> None:
        try:
            # Never through a link planted in the output folder: the lock file is truncated below.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
            fh = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        except OSError as exc:
            out_dir = self.path.parent.parent
            raise OutputError(f"无法在输出文件夹 {out_dir} 中创建锁文件（{os_reason(exc)}）") from None
        try:
            if os.name == "nt":
                import msvcrt

                # Windows locks are mandatory: lock a byte past the text, so that the
                # second batch can still read who holds the lock.
                fh.seek(_LOCK_OFFSET)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in _LOCK_HELD:
                # A file system without locks (some network shares): run unprotected rather than never.
                fh.close()
                return
            try:
                fh.seek(0)
                holder = fh.read(500).strip() or "未知进程"
            except OSError:
                holder = "未知进程"
            fh.close()
            out_dir = self.path.parent.parent
            raise OutputError(
                f"输出文件夹 {out_dir} 正被另一个批量任务使用（{holder}）；请等它结束后再运行，或换一个输出文件夹（-o）"
            ) from None
        self._fh = fh
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"进程 {os.getpid()}，主机 {socket.gethostname()}，开始于 {datetime.now():%Y-%m-%d %H:%M:%S}")
            fh.flush()
        except OSError:
            pass  # who holds the lock is a courtesy (a full disk cannot take it); the lock is held

    def release(self) -> None:
        if self._fh is None:
            return
        try:
            try:
                self._fh.seek(0)
                self._fh.truncate()
            except OSError:
                pass
            if os.name == "nt":
                import msvcrt

                self._fh.seek(_LOCK_OFFSET)
                msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        finally:
            self._fh.close()
            self._fh = None


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder and a rename
    (:func:`perf_excel.files.outputs.atomic_file`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # No fsync: the rename is what makes an interrupted run (Ctrl-C, kill) safe, and
    # an fsync per file made the parent a bottleneck (0.1 s per workbook of 32 files).
    with atomic_file(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def _inside(base: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
    except ValueError:
        return False
    return True


def _commit_outputs(out_dir: Path, out_rel: str, files: Sequence[tuple[str, bytes]]) -> list[str]:
    """Write a worker's files below ``out_dir/out_rel``; returns OUT_DIR-relative paths written.

    Every file is written, each under its own name: two names that the file-name rule makes
    one (or that differ only in case, one file on Windows and macOS) get ``~2``, ``~3``, so
    the number of paths returned is the number of files given.
    """
    base = out_dir / safe_relpath(out_rel)
    written = []
    taken: set[str] = set()
    for rel, data in files:
        relpath = safe_relpath(rel)
        n = 1
        while relpath.as_posix().casefold() in taken:
            n += 1
            stem, suffix = relpath.stem, relpath.suffix
            if len(suffix) > 10 or not stem:
                stem, suffix = relpath.name, ""
            relpath = relpath.with_name(_numbered(stem, n, suffix))
        taken.add(relpath.as_posix().casefold())
        target = base / relpath
        if not _inside(out_dir, target):  # cannot happen after safe_relpath; defence in depth
            raise OutputError(f"{rel}：输出路径越出输出文件夹，已拒绝写入")
        _write_atomic(target, data)
        written.append(target.relative_to(out_dir).as_posix())
    return written


def _remove_stale(out_dir: Path, old: Iterable[str], keep: Iterable[str]) -> None:
    """Delete files a previous run wrote for a source that this run did not write again."""
    keep_set = set(keep)
    for rel in old:
        if rel in keep_set:
            continue
        target = out_dir / safe_relpath(rel)
        if _inside(out_dir, target) and target.is_file():
            try:
                target.unlink(missing_ok=True)
            except OSError:
                continue  # an old file left behind is no reason to fail a converted workbook
            parent = target.parent
            while parent != out_dir and _inside(out_dir, parent):
                try:
                    parent.rmdir()  # only if empty
                except OSError:
                    break
                parent = parent.parent


def _sweep_temporaries(out_dir: Path) -> None:
    """Remove temporary files an interrupted earlier run left behind (only names we make)."""
    try:
        for path in out_dir.rglob(f".*{_TMP_MARK}*"):
            if path.is_file() and not path.is_symlink():
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    pass  # left for the next run; never a reason not to run
    except OSError:
        pass


def _load_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get("entries") if isinstance(data, dict) else None
    return entries if isinstance(entries, dict) else {}


def _save_manifest(path: Path, entries: dict[str, Any]) -> None:
    payload = {"version": __version__, "entries": entries}
    _write_atomic(path, json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"))


class _ManifestSaver:
    """Saves the manifest at most every ``interval`` seconds, and at the end.

    Saving after every file would rewrite the whole manifest n times (quadratic for a
    province's ten thousand workbooks); what a kill loses is only re-converted next time.
    """

    def __init__(self, path: Path, entries: dict[str, Any], errors: list[str], interval: float = 2.0) -> None:
        self.path, self.entries, self.interval = path, entries, interval
        self.errors = errors
        self.dirty = False
        self.last = time.monotonic()

    def changed(self) -> None:
        self.dirty = True
        if time.monotonic() - self.last >= self.interval:
            self.save()

    def save(self) -> None:
        """Save if changed; a failure (disk full) is recorded once and the batch goes on.

        The manifest only spares work next time: without it the next run converts again.
        """
        if self.dirty:
            try:
                _save_manifest(self.path, self.entries)
                self.dirty = False
            except OSError as exc:
                text = f"无法保存处理记录 {self.path.name}（{os_reason(exc)}）；下次运行将重新转换这些工作簿"
                if text not in self.errors:
                    self.errors.append(text)
        self.last = time.monotonic()


def _options_key(options: dict[str, Any]) -> str:
    """Everything besides the workbook that changes the outputs; a change re-converts."""
    documents = bool(options.get("documents", True)) and _renderer() is not None
    key = {"pdf": bool(options.get("pdf")), "version": __version__, "documents": documents}
    key["templates"] = _templates_fingerprint()
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _templates_fingerprint() -> str:
    """A hash of the packaged Word templates, so that a template change re-renders."""
    digest = hashlib.sha256()
    render = _renderer()
    folders = [Path(render.TEMPLATE_DIR)] if render is not None and hasattr(render, "TEMPLATE_DIR") else []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    digest.update(path.relative_to(folder).as_posix().encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- runners

Converter = Callable[[str, bytes, dict[str, Any]], dict[str, Any]]
Outcome = dict[str, Any]
OnDone = Callable[["_Task", Outcome], None]


def _failure(kind: str, reason: str) -> Outcome:
    err = {"file": "", "sheet": "", "cell": "", "message": reason, "text": reason}
    return {"record": {"status": FAILED, "kind": kind, "reason": reason, "errors": [err]}, "files": []}


def _crash_reason(display: str, detail: str = "") -> str:
    extra = f"（{detail}）" if detail else ""
    return f"{display}：处理此工作簿的进程意外退出{extra}，可能是文件异常或内存不足"


def _crash_outcome(task: _Task, detail: str = "") -> Outcome:
    return _failure(KIND_CRASH, _crash_reason(PurePosixPath(task.rel).name, detail))


def _timeout_outcome_for(display: str, timeout: float) -> Outcome:
    return _failure(KIND_TIMEOUT, f"{display}：处理超过 {timeout:g} 秒仍未完成，已终止（可用 --timeout 调整）")


def _timeout_outcome(task: _Task, timeout: float) -> Outcome:
    return _timeout_outcome_for(PurePosixPath(task.rel).name, timeout)


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
        fut = pool.submit(_pool_task, task.index, converter, task.rel, data, options)
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
            [sys.executable, "-c", "from perf_excel.batch import _child_main; _child_main()"],
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
            "用法错误：--scheduler 需要 Dask：请安装 pip install 'perf-excel[dask]'（dask[distributed]）"
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
                    dask_task, converter, task.rel, data, options, timeout, key=key, pure=False, retries=0
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


# --------------------------------------------------------------------------- the batch


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
    if jobs is not None and jobs < 1:
        raise UsageError(f"用法错误：--jobs 应为正整数，而不是 {jobs}")
    if not timeout or timeout <= 0:
        raise UsageError(f"用法错误：--timeout 应为正数，而不是 {timeout}")
    if scheduler is not None and not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", scheduler):
        raise UsageError(f"用法错误：--scheduler 应为调度器地址，例如 tcp://主机:8786，而不是 “{scheduler}”")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"用法错误：输出位置 {out} 是一个文件，不是文件夹")
    for item in [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs:
        src = Path(item).resolve()
        if src.is_dir() and (src == out.resolve() or src.is_relative_to(out.resolve())):
            raise UsageError(f"用法错误：输出文件夹 {out} 不能是输入文件夹 {item} 本身或其上级，请另选一个输出文件夹")
    found, ignored = discover(inputs, pattern, exclude=out)
    out_rels = _assign_output_dirs([rel for _, rel in found])
    if pdf and not documents:
        raise UsageError("用法错误：--pdf 需要生成文档，不能与 --results-only 同用")
    options = {
        "pdf": bool(pdf),
        "documents": bool(documents),
        "force": bool(force),
        "pattern": pattern,
        "scheduler": scheduler,
        "timeout": timeout,
    }
    options["jobs"] = None if scheduler else (jobs or _cpu_count())
    in_text = ", ".join(str(i) for i in ([inputs] if isinstance(inputs, (str, os.PathLike)) else inputs))

    try:
        state = out / STATE_DIR
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法创建输出文件夹 {out}：{os_reason(exc)}") from None
    lock = _OutLock(state)
    lock.acquire()
    try:
        _sweep_temporaries(out)
        manifest_path = state / MANIFEST
        manifest = _load_manifest(manifest_path)
        opt_key = _options_key(options)
        records: dict[int, FileRecord] = {}
        tasks: list[_Task] = []
        summary = BatchSummary(in_text, str(out), options, [], ignored, started)
        if progress:
            progress("start", len(found))
        for i, ((path, rel), out_rel) in enumerate(zip(found, out_rels)):
            record = FileRecord(source=rel, output_dir=out_rel)
            records[i] = record
            try:
                sha, size = _file_sha256(path, PurePosixPath(rel).name)
            except InputError as exc:
                _fill(record, _failure(KIND_INPUT, str(exc))["record"])
                if progress:
                    progress("file", record)
                continue
            record.sha256 = sha
            old = manifest.get(rel)
            if not force and _unchanged(out, old, sha, opt_key, out_rel):
                _restore(record, old)
                if progress:
                    progress("file", record)
                continue
            tasks.append(_Task(i, path, rel, out_rel, size, sha))

        saver = _ManifestSaver(manifest_path, manifest, summary.errors)

        def on_done(task: _Task, outcome: Outcome) -> None:
            record = records[task.index]
            record.sha256 = task.sha256
            data, outputs = outcome["record"], []
            old = manifest.get(task.rel) or {}
            if data.get("status") == OK:
                # The record says OK only once its outputs are in place: a Ctrl-C during the
                # commit leaves it not run (converted again next time), never OK without outputs.
                try:
                    outputs = _commit_outputs(out, task.out_rel, outcome["files"])
                except OutputError as exc:
                    data = _failure(KIND_OUTPUT, str(exc))["record"]
                except OSError as exc:
                    where = Path(exc.filename).name if exc.filename else task.out_rel
                    reason = f"{task.rel}：无法写入输出 {where}（{os_reason(exc)}），此工作簿的输出不完整"
                    data = _failure(KIND_OUTPUT, reason)["record"]
            _fill(record, data)
            if record.status == OK:
                record.outputs = outputs
                _remove_stale(out, old.get("outputs", []), record.outputs)
                manifest[task.rel] = {
                    "sha256": task.sha256,
                    "options": opt_key,
                    "output_dir": task.out_rel,
                    "outputs": record.outputs,
                    "finished": datetime.now().isoformat(timespec="seconds"),
                    "record": {k: v for k, v in record.to_dict().items() if k not in ("outputs", "source")},
                }
            elif old:
                # A failed conversion keeps the last good outputs on disk, but they are no longer
                # current: forget the hash so that the next run tries again.
                old["sha256"] = ""
            saver.changed()
            if progress:
                progress("file", record)

        # Big workbooks first: the batch ends sooner when the long ones do not start last.
        tasks.sort(key=lambda t: -t.size)
        convert = converter or convert_workbook
        try:
            if tasks and scheduler:
                _run_dask(tasks, scheduler, timeout, convert, options, on_done)
            elif tasks:
                _run_local(tasks, min(options["jobs"], len(tasks)), timeout, convert, options, on_done)
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
            saver.save()
        summary.files = [records[i] for i in sorted(records)]
        summary.seconds = time.perf_counter() - t0
        _write_summary_safely(summary, out)
        if summary.interrupted:
            raise KeyboardInterrupt
        return summary
    finally:
        lock.release()


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def _unchanged(out: Path, old: dict | None, sha: str, opt_key: str, out_rel: str) -> bool:
    if not old or old.get("sha256") != sha or old.get("options") != opt_key or old.get("output_dir") != out_rel:
        return False
    outputs = old.get("outputs") or []
    return bool(outputs) and all((out / safe_relpath(rel)).is_file() for rel in outputs)


def _restore(record: FileRecord, old: dict) -> None:
    saved = old.get("record") or {}
    for key in ("units", "grades", "warnings"):
        if key in saved:
            setattr(record, key, saved[key])
    record.outputs = list(old.get("outputs") or [])
    record.status = UNCHANGED
    record.reason = f"内容与选项均未变化（上次完成于 {old.get('finished', '?')}），已跳过；需要重做请加 --force"


def _fill(record: FileRecord, data: dict[str, Any]) -> None:
    for key in ("status", "kind", "reason", "units", "grades", "warnings", "errors", "detail"):
        if key in data:
            setattr(record, key, data[key])
    if "seconds" in data:
        record.seconds = round(float(data["seconds"]), 3)


# --------------------------------------------------------------------------- the summary


def _write_summary_safely(summary: BatchSummary, out_dir: Path) -> None:
    """:func:`write_summary`, each file on its own: one that cannot be written is recorded in
    ``summary.errors`` (the command line still prints the summary), never a traceback."""
    summary.written = []
    for write, name in ((_write_summary_json, SUMMARY_JSON), (_write_summary_xlsx, SUMMARY_XLSX)):
        try:
            write(summary, out_dir / name)
            summary.written.append(str(out_dir / name))
        except OutputError as exc:
            summary.errors.append(str(exc))
        except OSError as exc:
            summary.errors.append(f"{name}：无法写入汇总（{os_reason(exc)}）")


def _write_summary_json(summary: BatchSummary, path: Path) -> None:
    _write_atomic(path, json.dumps(summary.to_dict(), ensure_ascii=False, indent=2).encode("utf-8"))


def write_summary(summary: BatchSummary, out_dir: Path) -> tuple[Path, Path]:
    """Write ``batch-summary.json`` and ``batch-summary.xlsx`` into ``out_dir`` (atomically)."""
    out_dir = Path(out_dir)
    json_path = out_dir / SUMMARY_JSON
    _write_summary_json(summary, json_path)
    xlsx_path = out_dir / SUMMARY_XLSX
    _write_summary_xlsx(summary, xlsx_path)
    return json_path, xlsx_path


def _write_summary_xlsx(summary: BatchSummary, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from perf_excel.xlsx.sanitize import safe_cell

    grades = list(dict.fromkeys(g for f in summary.files for g in f.grades))
    wb = Workbook(write_only=True)
    bold = Font(name="黑体", bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")

    def sheet(title: str, header: list[str], rows: Iterable[list[object]], widths: list[int]) -> None:
        ws = wb.create_sheet(title)
        from openpyxl.utils import get_column_letter

        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
        ws.freeze_panes = "A2"
        head = []
        for h in header:
            c = safe_cell(ws, h, bold)
            c.fill = fill
            head.append(c)
        ws.append(head)
        for row in rows:
            ws.append([safe_cell(ws, v) if isinstance(v, str) else v for v in row])

    header = ["文件", "状态", "单位数", *grades, "警告数", "错误数", "用时（秒）", "输出文件夹", "原因"]
    rows = [
        [
            f.source,
            STATUS_TEXT.get(f.status, f.status),
            f.units if f.status != FAILED else None,
            *[f.grades.get(g, 0) if f.status != FAILED else None for g in grades],
            len(f.warnings),
            len(f.errors),
            f.seconds,
            f.output_dir if f.status != FAILED else "",
            f.reason,
        ]
        for f in summary.files
    ]
    rows += [
        [i["source"], "忽略", None, *[None] * len(grades), None, None, None, "", i["reason"]] for i in summary.ignored
    ]
    sheet("汇总", header, rows, [36, 14, 8, *[8] * len(grades), 8, 8, 10, 30, 80])

    problems = [
        [f.source, level, p.get("sheet", ""), p.get("cell", ""), p.get("message", "")]
        for f in summary.files
        for level, items in (("错误", f.errors), ("警告", f.warnings))
        for p in items
    ]
    sheet("问题", ["文件", "级别", "工作表", "单元格", "说明"], problems, [36, 8, 12, 10, 90])

    counts = summary.to_dict()["counts"]
    info = [
        ["输入", summary.in_dir],
        ["输出", summary.out_dir],
        ["开始时间", summary.started],
        ["用时（秒）", round(summary.seconds, 3)],
        ["工作簿总数", counts["total"]],
        ["成功", counts[OK]],
        ["失败", counts[FAILED]],
        ["未变化，已跳过", counts[UNCHANGED]],
        ["未处理（已中断）", counts[NOT_RUN]],
        ["忽略的文件", counts["ignored"]],
        ["退出码", summary.exit_code],
        *[["批量任务的问题", text] for text in summary.errors],
        ["程序版本", __version__],
    ]
    sheet("说明", ["项目", "值"], info, [20, 60])

    buffer = io.BytesIO()
    wb.save(buffer)
    try:
        _write_atomic(path, buffer.getvalue())
    except OSError as exc:
        hint = "；可能正在 Excel 中打开，请关闭后重试" if isinstance(exc, PermissionError) else ""
        raise OutputError(f"{path.name}：无法写入汇总（{os_reason(exc)}）{hint}") from None
