"""What a batch did: one record per workbook, and the summary written as JSON and as a workbook."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from perf_excel import __version__
from perf_excel.batch import state
from perf_excel.core.errors import OutputError, Problem
from perf_excel.files.inputs import os_reason

SUMMARY_JSON = "batch-summary.json"
SUMMARY_XLSX = "batch-summary.xlsx"

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
    state._write_atomic(path, json.dumps(summary.to_dict(), ensure_ascii=False, indent=2).encode("utf-8"))


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
        state._write_atomic(path, buffer.getvalue())
    except OSError as exc:
        hint = "；可能正在 Excel 中打开，请关闭后重试" if isinstance(exc, PermissionError) else ""
        raise OutputError(f"{path.name}：无法写入汇总（{os_reason(exc)}）{hint}") from None
