"""Ranges as Excel hands them to Python, turned into the core's inputs and back.

xlwings passes a single cell as a scalar and a range as a list of rows (the custom
functions ask for ``ndim=2``, so a column arrives as ``[[a], [b]]``, never flattened).
This module turns those values into :class:`~perf_excel.core.tables.Table` objects (so a
function validates exactly like a workbook, through :func:`perf_excel.core.build.build_scheme`),
unwraps single cells, and shapes results back into what a cell or a spill range shows.

Nothing here imports xlwings: the custom functions are plain Python, tested on Linux.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from perf_excel.core.build import cell_text
from perf_excel.core.errors import InputError, Problem, quote
from perf_excel.core.model import NOT_APPLICABLE, Scheme
from perf_excel.core.numbers import is_blank, parse_number
from perf_excel.core.tables import Table

__all__ = [
    "ASSESS_SHEETS",
    "CellError",
    "as_grid",
    "cell_text",
    "error_text",
    "flatten",
    "is_single",
    "number_or_error",
    "problems_text",
    "reshape",
    "scalar",
    "tables_from_ranges",
    "to_cell",
    "trim",
]

#: The prefix of every message a custom function shows in a cell.
ERROR_PREFIX = "#错误："

#: The parameters of PERF_ASSESS in order, and the contract sheet each one stands for.
ASSESS_SHEETS: tuple[str, ...] = ("指标", "单位", "数据", "加减分", "否决", "修正", "设置")


class CellError(Exception):
    """A problem a custom function reports as text in its cell (``#错误：…``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return error_text(self.message)


def error_text(message: str) -> str:
    """``#错误：message`` — what a cell shows for bad input (never a traceback)."""
    return message if message.startswith("#") else ERROR_PREFIX + message


def problems_text(problems: Sequence[Problem]) -> str | list[list[str]]:
    """Every error of a table call: one cell if there is one, else a column (one per row)."""
    lines = [error_text(str(p)) for p in problems]
    return lines[0] if len(lines) == 1 else [[line] for line in lines]


def is_single(value: object) -> bool:
    """True for a scalar or a 1×1 range."""
    if isinstance(value, (list, tuple)):
        rows = as_grid(value)
        return len(rows) == 1 and len(rows[0]) == 1
    return True


def as_grid(value: object) -> list[list[object]]:
    """A scalar, a flat list (taken as a column) or a list of rows, as a list of rows."""
    if isinstance(value, (list, tuple)):
        if not value:
            return [[None]]
        if all(isinstance(r, (list, tuple)) for r in value):
            return [list(r) for r in value]
        return [[v] for v in value]
    return [[value]]


def scalar(value: object) -> object:
    """The value of a single cell; a larger range raises :class:`CellError`."""
    rows = as_grid(value)
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    raise CellError(f"应为单个单元格，收到 {len(rows)}×{len(rows[0])} 的区域")


def flatten(value: object) -> tuple[tuple[int, int], list[object]]:
    """``(shape, values in row order)`` of a scalar or range."""
    rows = as_grid(value)
    width = max(len(r) for r in rows)
    flat = [r[j] if j < len(r) else None for r in rows for j in range(width)]
    return (len(rows), width), flat


def reshape(values: Sequence[object], shape: tuple[int, int], single: bool) -> object:
    """Values back into the caller's shape: a scalar for a single cell, else rows."""
    cells = [to_cell(v) for v in values]
    if single:
        return cells[0]
    n_rows, n_cols = shape
    return [cells[i * n_cols : (i + 1) * n_cols] for i in range(n_rows)]


def to_cell(value: object) -> object:
    """A value as a cell shows it: NaN and None → blank, numpy scalars → Python."""
    if value is None:
        return ""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return "" if math.isnan(v) else v
    return value


def number_or_error(value: object, what: str) -> float | str | None:
    """A cell value read as the core reads data: None for blank, ``不适用`` kept as text,
    a number, or a ``#错误`` text naming the value."""
    if is_blank(value):
        return None
    if isinstance(value, str) and value.strip() == NOT_APPLICABLE:
        return NOT_APPLICABLE
    number = parse_number(value)
    if number is not None:
        return number
    if isinstance(value, (date, datetime)):
        return error_text(f"{what} {quote(cell_text(value))} 是日期，不是数字")
    return error_text(f"{what} {quote(value)} 不是有效数字")


def trim(rows: list[list[object]]) -> list[list[object]]:
    """Drop trailing blank rows and columns (a range like 指标!A1:U200 that is half empty)."""
    end = len(rows)
    while end and all(is_blank(v) for v in rows[end - 1]):
        end -= 1
    rows = rows[:end]
    width = max((len(r) for r in rows), default=0)
    while width and all(is_blank(r[width - 1]) if width - 1 < len(r) else True for r in rows):
        width -= 1
    return [list(r[:width]) + [None] * (width - len(r[:width])) for r in rows]


def table(sheet: str, value: object) -> Table | None:
    """A contract table from a range whose first row is the header; None if blank."""
    if value is None:
        return None
    rows = trim(as_grid(value))
    if not rows:
        return None
    return Table.from_rows(sheet, rows)


def tables_from_ranges(*ranges: object) -> dict[str, Table]:
    """The contract tables from PERF_ASSESS's ranges, in the order of :data:`ASSESS_SHEETS`."""
    out = {}
    for sheet, value in zip(ASSESS_SHEETS, ranges):
        t = table(sheet, value)
        if t is not None:
            out[sheet] = t
    return out


def build_from_ranges(*ranges: object) -> tuple[Scheme, Any]:
    """Scheme and dataset from PERF_ASSESS's ranges, validated like a workbook.

    Raises :class:`TableErrors` with every error, so that the cell shows all of them.
    """
    from perf_excel.pipeline import check

    try:
        scheme, dataset, _ = check(tables_from_ranges(*ranges))
    except InputError as exc:
        raise TableErrors(exc.problems) from None
    return scheme, dataset


class TableErrors(Exception):
    """Every error found in the ranges of a table function."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


_ROW = re.compile(r"(\d+)$")


def problem_row(problem: Problem) -> int | None:
    """The row number of a problem's cell (``F3`` → 3, ``第3行`` → 3), if any."""
    m = _ROW.search(problem.cell.replace("行", ""))
    return int(m.group(1)) if m else None


def settings_rows(items: Mapping[str, object]) -> list[list[object]]:
    """A 设置 range (项目, 值) from the given settings, leaving out blank ones."""
    rows: list[list[object]] = [["项目", "值"]]
    for key, value in items.items():
        if value is not None and not is_blank(value):
            rows.append([key, value])
    return rows
