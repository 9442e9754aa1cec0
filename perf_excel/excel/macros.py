"""One-click macros (xlwings RunPython targets): 计算结果 and 生成通报 from the open workbook.

The VBA buttons call, through xlwings' ``RunPython``::

    RunPython "import perf_excel.macros; perf_excel.macros.score_and_report()"

``score()`` writes the 结果 and 计分明细 sheets into the calling workbook, ``report()``
renders the bulletin (通报) next to it, ``score_and_report()`` does both and shows the path
in the status bar. Each works on a small read-table/write-table interface
(:class:`BookIO`): tests drive it with a fake book, and :class:`XlwingsBook` is the thin
shim over ``xw.Book.caller()``. Bad input never shows a traceback: every problem is
listed with its cell on a 问题 sheet and summed up in a message box.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from perf_excel.core.assess import Results
from perf_excel.core.errors import InputError, PerfExcelError, Problem
from perf_excel.core.tables import Table, canonical_sheet

__all__ = [
    "PROBLEM_SHEET",
    "BookIO",
    "XlwingsBook",
    "read_tables",
    "report",
    "score",
    "score_and_report",
]

PROBLEM_SHEET = "问题"
TITLE = "绩效考核"

Renderer = Callable[[Results, Path], Path]


class BookIO(Protocol):
    """What the macros need from a workbook: read a sheet, write a table, talk to the clerk."""

    name: str  #: the file name, e.g. ``考核表.xlsm``
    folder: Path | None  #: where the file is saved; None if never saved

    def sheet_names(self) -> list[str]: ...

    def read_sheet(self, name: str) -> list[list[object]]:
        """The sheet's values from A1 to its last used cell, as a list of rows."""
        ...

    def write_table(self, name: str, rows: Sequence[Sequence[object]]) -> None:
        """Replace the sheet's contents with ``rows`` from A1 (create the sheet if needed)."""
        ...

    def status(self, text: str) -> None: ...

    def alert(self, text: str) -> None: ...


def read_tables(book: BookIO) -> dict[str, Table]:
    """The contract sheets of ``book``, found and cut like the file reader does."""
    from perf_excel.xlsx.reader import _to_table  # the same header-row detection as for files

    tables: dict[str, Table] = {}
    for name in book.sheet_names():
        canon = canonical_sheet(name)
        if canon is None or canon in tables or canon == "结果":
            continue
        tables[canon] = _to_table(name, canon, book.read_sheet(name), book.name)
    return tables


def _assess(book: BookIO) -> tuple[Results, list[Problem]]:
    from perf_excel.pipeline import assess_tables

    return assess_tables(read_tables(book), book.name)


def _write_results(book: BookIO, results: Results, warnings: list[Problem]) -> None:
    from perf_excel.xlsx.sheets import (
        DETAIL_SHEET,
        RESULT_SHEET,
        detail_header,
        detail_rows,
        result_header,
        result_rows,
    )

    book.write_table(RESULT_SHEET, [result_header(results), *result_rows(results)])
    book.write_table(DETAIL_SHEET, [detail_header(), *detail_rows(results)])
    _write_problems(book, warnings)


def _write_problems(book: BookIO, problems: Sequence[Problem]) -> None:
    if not problems and PROBLEM_SHEET not in book.sheet_names():
        return
    rows: list[list[object]] = [["级别", "位置", "问题"]]
    rows += [[p.severity, p.place, p.message] for p in problems]
    book.write_table(PROBLEM_SHEET, rows)


def _bulletin(results: Results, folder: Path) -> Path:
    from perf_excel.pipeline import render_documents

    return render_documents(results, folder, letters=False).bulletin


def _run(book: BookIO | None, action: Callable[[BookIO], str]) -> str:
    """Run ``action`` on the calling workbook; show its outcome, never a traceback."""
    book = book if book is not None else XlwingsBook.caller()
    book.status("绩效考核：正在计算……")
    try:
        message = action(book)
    except InputError as exc:
        _write_problems(book, exc.problems)
        n = len(exc.problems)
        message = f"发现 {n} 个错误，未生成结果。详见“{PROBLEM_SHEET}”工作表。\n\n" + "\n".join(
            str(p) for p in exc.problems[:10]
        )
        if n > 10:
            message += f"\n……（共 {n} 个）"
        book.status(f"绩效考核：发现 {n} 个错误，详见“{PROBLEM_SHEET}”工作表")
        book.alert(message)
        return message
    except PerfExcelError as exc:
        book.status(f"绩效考核：{exc.message}")
        book.alert(exc.message)
        return exc.message
    except Exception as exc:  # the clerk gets a sentence, not a traceback
        message = f"内部错误（{type(exc).__name__}）：{exc}"
        book.status(f"绩效考核：{message}")
        book.alert(message)
        return message
    book.status(message)
    return message


def score(book: BookIO | None = None) -> str:
    """计算结果: write 结果 and 计分明细 (and 问题, the warnings) into the workbook."""

    def action(b: BookIO) -> str:
        results, warnings = _assess(b)
        _write_results(b, results, warnings)
        tail = f"，{len(warnings)} 个警告见“{PROBLEM_SHEET}”工作表" if warnings else ""
        return f"绩效考核：已计算 {len(results.units)} 个单位，结果写入“结果”和“计分明细”工作表{tail}"

    return _run(book, action)


def _folder(b: BookIO) -> Path:
    if b.folder is None:
        raise PerfExcelError("请先保存工作簿：通报生成在工作簿所在的文件夹")
    return b.folder


def report(book: BookIO | None = None, renderer: Renderer | None = None) -> str:
    """生成通报: render the bulletin next to the workbook; the status bar shows its path."""

    def action(b: BookIO) -> str:
        folder = _folder(b)
        results, _ = _assess(b)
        path = (renderer or _bulletin)(results, folder)
        return f"绩效考核：通报已生成 {path}"

    return _run(book, action)


def score_and_report(book: BookIO | None = None, renderer: Renderer | None = None) -> str:
    """计算结果并生成通报: 结果 and 计分明细 into the workbook, the bulletin next to it."""

    def action(b: BookIO) -> str:
        folder = _folder(b)
        results, warnings = _assess(b)
        _write_results(b, results, warnings)
        path = (renderer or _bulletin)(results, folder)
        return f"绩效考核：已计算 {len(results.units)} 个单位；通报已生成 {path}"

    return _run(book, action)


def safe_value(value: object) -> object:
    """A value to type into a cell: text that Excel would take as a formula or an error value stays text."""
    from perf_excel.xlsx.sanitize import sanitize

    return "" if value is None else sanitize(value, typed=True)


class XlwingsBook:
    """:class:`BookIO` over an xlwings Book (the only part that needs Excel)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.name = book.name
        full = Path(book.fullname)
        self.folder = full.parent if full.parent != Path(".") and full.parent.exists() else None

    @classmethod
    def caller(cls) -> XlwingsBook:
        import xlwings as xw

        return cls(xw.Book.caller())

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def read_sheet(self, name: str) -> list[list[object]]:
        sheet = self.book.sheets[name]
        last = sheet.used_range.last_cell
        rng = sheet.range((1, 1), (max(last.row, 1), max(last.column, 1)))
        return rng.options(ndim=2, err_to_str=True).value

    def write_table(self, name: str, rows: Sequence[Sequence[object]]) -> None:
        names = self.sheet_names()
        sheet = self.book.sheets[name] if name in names else self.book.sheets.add(name, after=self.book.sheets[-1])
        sheet.clear_contents()
        if not rows:
            return
        width = max(len(r) for r in rows)
        values = [[safe_value(v) for v in r] + [""] * (width - len(r)) for r in rows]
        app = self.book.app
        app.screen_updating = False
        try:
            sheet["A1"].value = values  # one call for the whole table
            sheet.range((1, 1), (1, width)).font.bold = True
            sheet.range((1, 1), (1, width)).columns.autofit()
        finally:
            app.screen_updating = True

    def status(self, text: str) -> None:
        self.book.app.status_bar = text

    def alert(self, text: str) -> None:
        self.book.app.alert(text, title=TITLE)
