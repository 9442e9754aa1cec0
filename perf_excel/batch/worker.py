"""Converting one workbook in a worker: a thin call to :mod:`perf_excel.pipeline`, every failure a record.

A worker gets the workbook's bytes, converts it in a private temporary folder and returns
the produced files as bytes, so the same task runs on a Dask cluster that shares no disk.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from perf_excel.batch.summary import (
    FAILED,
    KIND_CRASH,
    KIND_INPUT,
    KIND_INTERNAL,
    KIND_OUTPUT,
    KIND_TEMPLATE,
    KIND_TIMEOUT,
    OK,
    _problem_dict,
    _with_file,
)
from perf_excel.core.errors import InputError, OutputError, PerfExcelError, Problem, TemplateError
from perf_excel.files.inputs import os_reason
from perf_excel.files.outputs import safe_name

if TYPE_CHECKING:
    from perf_excel.batch.discovery import _Task
    from perf_excel.pipeline import Templates

# --------------------------------------------------------------------------- the worker


def _render_documents(results: Any, out_dir: Path, pdf: bool, chosen: Templates | None = None) -> list[str]:
    """Bulletin, feedback letters (and PDFs) into ``out_dir``, through the functions ``perf-excel report`` uses.

    Returns the renderer's warnings (e.g. no CJK font for the charts). Without the rendering
    adapter only the results workbook is produced.
    """
    if _renderer() is None:
        return []
    from perf_excel.pipeline import render_documents

    docs = render_documents(results, out_dir, chosen, pdf=pdf)
    warnings = docs.warnings
    lost = len(docs.letters.files) - len(set(docs.letters.files))
    if lost:
        # Two units whose letters got one file name: the second overwrote the first. Say so
        # rather than report fewer letters than units without a word.
        warnings.append(f"有 {lost} 份反馈单与其他单位的反馈单文件名相同而被覆盖，请检查单位编码和名称是否重复")
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

    ``options["source_dir"]``, when given, is the folder the workbook was found in: the
    templates its 设置 names (通报模板, 反馈单模板) are looked for there, as ``report`` does.
    Returns ``{"record": {...}, "files": [(relative path, bytes), ...]}``. Every problem
    of the input becomes a failed record; nothing but a dead process escapes.
    """
    start = time.perf_counter()
    record: dict[str, Any] = {"status": FAILED, "kind": "", "reason": "", "errors": [], "warnings": []}
    files: list[tuple[str, bytes]] = []
    display = PurePosixPath(name).name
    try:
        # Imported here: the parent process (and ``perf-excel --help``) never needs them.
        from perf_excel.pipeline import RESULTS_NAME, assess_workbook, templates
        from perf_excel.xlsx.writer import write_results

        with tempfile.TemporaryDirectory(prefix="perf-excel-batch-") as tmp:
            src, out = _private_folders(Path(tmp), display, data)
            try:
                results, _, warnings = assess_workbook(src)
            except InputError as exc:
                return _input_failure(record, exc, display, start)
            record.update(_summary_fields(results, warnings, display))
            write_results(results, out / RESULTS_NAME)
            if options.get("documents", True):
                workbook = Path(options["source_dir"]) / display if options.get("source_dir") else src
                chosen = templates(results, workbook)
                record["templates"] = [str(p) for p in chosen.paths]
                for text in _render_documents(results, out, bool(options.get("pdf")), chosen):
                    record["warnings"].append(_text_dict(display, text))
            files = _collect(out)
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
            record["errors"] = [_text_dict(display, record["reason"])]
    record["seconds"] = time.perf_counter() - start
    return {"record": record, "files": files}


def _private_folders(work: Path, display: str, data: bytes) -> tuple[Path, Path]:
    """The workbook written into ``work/in`` and an empty ``work/out``."""
    # Keep the user's file name (messages quote it) where this system allows it.
    src = work / "in" / (safe_name(display) if os.name == "nt" else display)
    src.parent.mkdir()
    src.write_bytes(data)
    out = work / "out"
    out.mkdir()
    return src, out


def _input_failure(record: dict[str, Any], exc: InputError, display: str, start: float) -> dict[str, Any]:
    exc = InputError(_with_file(p, display) for p in exc.problems)
    record.update(kind=KIND_INPUT, errors=[_problem_dict(p) for p in exc.problems])
    record["reason"] = str(exc.problems[0]) if exc.problems else str(exc)
    record["seconds"] = time.perf_counter() - start
    return {"record": record, "files": []}


def _summary_fields(results: Any, warnings: list[Problem], display: str) -> dict[str, Any]:
    """Units, grades (best first, every grade of the scheme, 0 when nobody has it) and warnings."""
    counts = Counter(str(g) for g in results.table["grade"])
    grades = [name for name, _ in results.scheme.settings.grades]
    order = grades + sorted(set(counts) - set(grades))
    return {
        "units": len(results.table),
        "grades": {g: counts.get(g, 0) for g in order},
        "warnings": [_problem_dict(_with_file(w, display)) for w in warnings],
    }


def _text_dict(display: str, text: str) -> dict[str, str]:
    return {"file": display, "sheet": "", "cell": "", "message": text, "text": text}


def _collect(out: Path) -> list[tuple[str, bytes]]:
    # Every file of the private folder is an output: a unit called ``x.perf-tmp-y`` has a
    # letter whose name looks like a temporary file, and it must not be dropped.
    return [(p.relative_to(out).as_posix(), p.read_bytes()) for p in sorted(out.rglob("*")) if p.is_file()]


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
