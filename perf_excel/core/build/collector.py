"""What every sheet parser shares: the problem collector, columns and rows.

:class:`Collector` gathers the problems of one workbook so that every check names its
sheet and cell in one line; the helpers read a sheet's columns by contract name or alias.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping

from perf_excel.core.build.codes import code_problem
from perf_excel.core.errors import ERROR, WARNING, Problem, Suggester, quote
from perf_excel.core.model import Unit
from perf_excel.core.numbers import MAX_NUMBER, is_blank, parse_number, too_large
from perf_excel.core.tables import Table

#: Between the items of a list typed into one cell: categories, tie-breakers.
LIST_SPLIT = re.compile(r"[,，、;；/\s]+")


#: Why a number typed or stored beyond :data:`~perf_excel.core.numbers.MAX_NUMBER` is refused.
TOO_LARGE = f"数值过大（绝对值应小于 10^{round(math.log10(MAX_NUMBER))}），请检查是否多输了数字"


class Collector:
    """Gathers problems for one sheet so every check can name its cell in one line."""

    def __init__(self, problems: list[Problem], file: str) -> None:
        self.problems = problems
        self.file = file
        # Every code typed in 指标, valid or not: an indicator with a mistake is reported
        # once, not again as "unknown" wherever its code is used.
        self.indicator_codes: set[str] = set()
        #: "Did you mean" hints, one budget for the whole workbook.
        self.suggest = Suggester()

    def error(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(message, sheet, cell, self.file, ERROR))

    def warn(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(message, sheet, cell, self.file, WARNING))

    def lookalike(self, t: Table, i: int, j: int, code: str, what: str) -> bool:
        """Record an error if ``code`` (in row ``i``, column ``j``) breaks :func:`code_problem`'s rule."""
        problem = code_problem(code)
        if problem:
            self.error(t.sheet, t.cell(i, j), f"{what} {problem}")
        return problem is not None

    def number(self, t: Table, i: int, j: int | None, what: str, required: bool = False):
        """The number in a cell, or None (blank, or unreadable: then an error is recorded)."""
        value = t.value(i, j)
        # A stored NaN is not an empty cell (Excel cannot type one; a crafted file can).
        if is_blank(value) and not isinstance(value, float):
            if required:
                cell = t.cell(i, j) if j is not None else f"第{t.row_numbers[i]}行"
                self.error(t.sheet, cell, f"{what}不能为空")
            return None
        number = parse_number(value)
        if number is None:
            reason = TOO_LARGE if too_large(value) else "不是有效数字"
            self.error(t.sheet, t.cell(i, j), f"{what} {quote(value)} {reason}")
        return number


def find_columns(t: Table, spec: Mapping[str, tuple[str, ...]]) -> dict[str, int | None]:
    """Each contract column's index in ``t`` (found by its name or an alias), None where absent."""
    return {name: t.column_index(name, *aliases) for name, aliases in spec.items()}


def sheet_rows(
    t: Table | None, c: Collector, spec: Mapping[str, tuple[str, ...]], required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, object], dict[str, int | None]]]:
    """Yield (i, {column: value}, cols) for the non-blank rows of an optional sheet."""
    if t is None:
        return
    cols = find_columns(t, spec)
    missing = [n for n in required if cols[n] is None]
    for n in missing:
        c.error(t.sheet, "", f"缺少 “{n}” 列")
    if missing:
        return
    for i in t:
        row = {k: t.value(i, j) for k, j in cols.items()}
        if all(is_blank(v) for v in row.values()):
            continue
        yield i, row, cols


def check_unit(t: Table, i: int, j: int, code: str, units: Mapping[str, Unit], c: Collector) -> bool:
    """Whether ``code`` (in row ``i``, column ``j``) names a unit of 单位; if not, the error is recorded."""
    if not code:
        c.error(t.sheet, t.cell(i, j), "单位编码为空")
        return False
    if c.lookalike(t, i, j, code, "单位编码"):
        return False
    if code not in units:
        c.error(t.sheet, t.cell(i, j), f"单位编码 {quote(code)} 不在单位表中{c.suggest(code, units, t.sheet)}")
        return False
    return True
