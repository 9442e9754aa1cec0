"""The 数据 sheet: one row per unit, one column per indicator, read column by column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from perf_excel.core.build.codes import code_problem, normalise_code
from perf_excel.core.build.collector import TOO_LARGE, Collector
from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import quote
from perf_excel.core.formula import formula_names
from perf_excel.core.methods import grade_fraction
from perf_excel.core.model import NOT_APPLICABLE, Indicator, Unit
from perf_excel.core.numbers import MAX_NUMBER, cell_text, is_blank, parse_number, too_large
from perf_excel.core.tables import Table

_DATA_EXTRAS = {"单位名称", "名称", "类别", "备注", "说明", "name", "category", "note"}
_IS_NUMBER = np.frompyfunc(lambda v: type(v) in (float, int), 1, 1)
_NUMBER_TYPES = {float, int}


def _object_grid(rows, width: int) -> np.ndarray:
    """The rows as a 2-D object array ``len(rows) × width`` (short rows padded with None)."""
    if rows and all(len(r) == width for r in rows):
        grid = np.empty((len(rows), width), dtype=object)
        grid[:] = rows
        return grid
    grid = np.empty((len(rows), width), dtype=object)
    for i, r in enumerate(rows):
        n = min(len(r), width)
        grid[i, :n] = r[:n]
    return grid


def parse_data(t: Table | None, c: Collector, units: tuple[Unit, ...], indicators: tuple[Indicator, ...]) -> Dataset:
    unit_codes = [u.code for u in units]
    by_code = {i.code: i for i in indicators}
    empty = pd.DataFrame(index=pd.Index(unit_codes, dtype=object))
    if t is None:
        return Dataset(empty, empty.astype(bool))
    ucol = t.column_index("单位编码", "编码", "unit", "code")
    if ucol is None:
        c.error(t.sheet, "", "缺少 “单位编码” 列")
        return Dataset(empty, empty.astype(bool))
    unit_set = set(unit_codes)
    row_of: dict[str, int] = {}
    seen: dict[str, str] = {}
    for i in t:
        code = cell_text(t.value(i, ucol))
        if not code:
            if any(not is_blank(v) for v in t.rows[i]):
                c.error(t.sheet, t.cell(i, ucol), "单位编码为空，但这一行有数据")
            continue
        if c.lookalike(t, i, ucol, code, "单位编码") and code not in unit_set:
            continue
        if code not in unit_set:
            c.error(
                t.sheet, t.cell(i, ucol), f"单位编码 {quote(code)} 不在单位表中{c.suggest(code, unit_set, t.sheet)}"
            )
            continue
        if code in seen:
            c.error(t.sheet, t.cell(i, ucol), f"单位编码 {quote(code)} 重复（已见于 {seen[code]}）")
            continue
        seen[code] = t.cell(i, ucol)
        row_of[code] = i
    for u in units:
        if u.code not in row_of:
            c.warn(t.sheet, "", f"单位 {quote(u.code)}（{u.name}）在数据表中没有数据行，各指标按未填报计 0 分")
    letters = {col: t.letters[j] for j, col in enumerate(t.columns) if col}
    rows_excel = {code: t.row_numbers[i] for code, i in row_of.items()}
    # Positions of each unit's data row, in the scheme's unit order (-1: no row).
    pos = np.array([row_of.get(code, -1) for code in unit_codes], dtype=int)
    width = len(t.columns)
    grid = _object_grid(t.rows, width)
    formulas_use: set[str] = set()
    for ind in indicators:
        if ind.formula:
            # The parser's own list of names: brackets, full-width operators and functions are handled.
            formulas_use.update(formula_names(ind.formula))
    values: dict[str, np.ndarray] = {}
    nas: dict[str, np.ndarray] = {}
    texts: dict[str, pd.Series] = {}
    category = np.array([u.category for u in units], dtype=object)
    has_gaps = bool((pos < 0).any())
    applies_cache: dict[tuple[str, ...], np.ndarray] = {}
    misspelt: set[str] = set()  # indicators whose column is there, as a reported look-alike
    for j, col in enumerate(t.columns):
        if j == ucol or not col:
            continue
        ind = by_code.get(col)
        if ind is None and col not in c.indicator_codes and code_problem(col):
            meant = normalise_code(col)
            if meant in by_code or meant in c.indicator_codes:
                # A look-alike of an indicator's code: ignoring it would score the indicator 0.
                c.error(t.sheet, t.header_cell(j), f"列 {code_problem(col)}")
                misspelt.add(meant)
                continue
        invalid = ind is None and col in c.indicator_codes  # its row in 指标 has a reported mistake
        if ind is None and col not in formulas_use and not invalid:
            # Extra columns (unit names, notes) are kept in the sheet and ignored here.
            if col.lower() not in _DATA_EXTRAS:
                hint = c.suggest(col, c.indicator_codes, t.sheet)
                c.warn(t.sheet, t.header_cell(j), f"列 {quote(col)} 不是指标编码，已忽略{hint}")
            continue
        raw = grid[np.maximum(pos, 0), j] if len(grid) else np.full(len(pos), None, dtype=object)
        if has_gaps:
            raw = np.where(pos >= 0, raw, None)
        cats = ind.categories if ind is not None else ()
        applies = applies_cache.get(cats)
        if applies is None:
            applies = np.isin(category, cats) if cats else np.ones(len(units), dtype=bool)
            applies_cache[cats] = applies
        v, na, tx = _parse_column(t, c, col, j, raw, pos, ind, applies)
        if invalid:
            continue  # its cells are checked, but it is not part of the scheme
        values[col], nas[col] = v, na
        if tx is not None:
            texts[col] = pd.Series(tx, index=unit_codes)
    for ind in indicators:
        if ind.code not in values and not ind.formula and ind.code not in misspelt:
            c.error(t.sheet, "", f"缺少指标 {quote(ind.code)}（{ind.name}）的数据列")
    index = pd.Index(unit_codes, dtype=object)
    frame = pd.DataFrame(values, index=index) if values else empty
    na_frame = pd.DataFrame(nas, index=index) if nas else empty.astype(bool)
    return Dataset(frame, na_frame, texts, t.sheet, rows_excel, letters)


def _not_a_number(value: object) -> str:
    text = str(value).strip()
    if text == "#公式未计算":
        return "公式没有计算结果（文件未在 Excel 中保存过），请在 Excel 中打开、保存后重试"
    if text.startswith("#") and (text.endswith(("!", "?")) or text in ("#N/A", "#GETTING_DATA")):
        return f"公式出错 {quote(text)}，请检查该单元格的公式"
    if too_large(value):
        return f"{quote(value)} {TOO_LARGE}"
    return f"{quote(value)} 不是有效数字"


def _parse_column(t, c: Collector, col, j, raw, pos, ind: Indicator | None, applies):
    """One data column to floats; records every unreadable cell."""
    n = len(raw)
    out = np.full(n, np.nan)
    if set(map(type, raw)) <= _NUMBER_TYPES:
        # The common case, a column of plain numbers: one conversion, no per-cell work.
        is_num = np.ones(n, dtype=bool)
        out = raw.astype(float)
    else:
        is_num = _IS_NUMBER(raw).astype(bool)
        out[is_num] = raw[is_num].astype(float)
    # Stored numbers meet the rule typed ones meet (parse_number): NaN, infinity and magnitudes
    # of MAX_NUMBER or more are refused, not scored (1e308 would get full marks).
    with np.errstate(invalid="ignore"):
        bad = is_num & ~(np.abs(out) < MAX_NUMBER)
    for k in np.flatnonzero(bad):
        c.error(t.sheet, t.cell(pos[k], j), _not_a_number(raw[k]))
        out[k] = np.nan
    na = np.zeros(n, dtype=bool)
    texts = None
    percent_unit = ind is not None and ind.unit.strip() in ("%", "％", "百分比")
    if ind is not None and ind.method == "grade":
        texts = np.full(n, "", dtype=object)
    for k in np.flatnonzero(~is_num):
        value = raw[k]
        if is_blank(value):
            continue
        if isinstance(value, str) and value.strip() == NOT_APPLICABLE:
            na[k] = True
            continue
        if not applies[k]:
            # The cell is not scored, but a number beyond the bound is refused wherever it is.
            if too_large(value):
                c.error(t.sheet, t.cell(pos[k], j), _not_a_number(value))
            continue
        if texts is not None:
            frac = grade_fraction(ind.grade_table, value)
            if frac is None:
                grades = "、".join(dict.fromkeys(ind.grade_table))
                c.error(t.sheet, t.cell(pos[k], j), f"{quote(value)} 不是有效的定性等级（应为 {grades} 之一）")
            else:
                out[k], texts[k] = frac, str(value).strip()
            continue
        number = parse_number(value)
        if number is None:
            c.error(t.sheet, t.cell(pos[k], j), _not_a_number(value))
        elif percent_unit and str(value).strip().endswith(("%", "％")):
            # The column is already in percent: "95%" typed as text means 95, not 0.95.
            out[k] = number * 100
        else:
            out[k] = number
    if texts is not None:
        # Numbers typed into a 定性 column are not grades.
        for k in np.flatnonzero(is_num & applies & ~bad):
            c.error(
                t.sheet,
                t.cell(pos[k], j),
                f"{quote(raw[k])} 不是有效的定性等级（应为 {'、'.join(dict.fromkeys(ind.grade_table))} 之一）",
            )
            out[k] = np.nan
    if ind is not None:
        _check_range(t, c, j, out, pos, ind, applies)
    return out, na, texts


def _check_range(t, c: Collector, j, out, pos, ind: Indicator, applies) -> None:
    if ind.method == "manual":
        bad = applies & ((out < 0) | (out > ind.points))
        for k in np.flatnonzero(bad):
            c.error(t.sheet, t.cell(pos[k], j), f"直接得分 {quote(out[k])} 超出 0–{ind.points:g} 分")
    elif ind.method == "deduct":
        for k in np.flatnonzero(applies & (out < 0)):
            c.error(t.sheet, t.cell(pos[k], j), f"扣分项数 {quote(out[k])} 不能为负")
