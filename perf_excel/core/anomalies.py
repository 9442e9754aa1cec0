"""Data-anomaly warnings (数据异动预警): missing values, implausible values, year-on-year
jumps and outliers within a category.

Pure functions over the scheme, the data and earlier years' data (:class:`History`).
Every warning names the unit, the indicator, the value, what it was compared with and
the cell. Warnings never change scores: nothing here touches the assessment.

Rules (the 设置 keys in brackets):

* **缺失** — an indicator that applies to the unit is blank (``不适用`` is not missing);
  for a derived indicator, each blank input column is named.
* **超出合理范围** — below 合理下限 or above 合理上限 (指标 columns).
* **同比异动** — |this year − last year| / |last year| > 异动阈值 (default 30 %); a change
  from 0 to anything else is reported too. Last year comes from the previous year's
  workbook or from the 历年 sheet (columns 单位编码, 年度, then one column per indicator
  编码 or raw 数据 column); with 考核年度 set, the latest earlier year is used.
  定性 and 扣分 indicators are left out (grades and event counts jump by nature).
* **离群** — within a category, the modified z-score 0.6745 (x − median) / MAD
  (Iglewicz & Hoaglin 1993) above 离群阈值 (default 3.5) in absolute value; needs at least
  5 values and MAD > 0; 定性 and 扣分 indicators are left out.

Either threshold may be set to ``关闭`` to switch the check off.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import WARNING, Problem, quote
from perf_excel.core.formula import FormulaError, parse_formula
from perf_excel.core.model import Indicator, Scheme
from perf_excel.core.numbers import fmt_num, is_blank, parse_number
from perf_excel.core.tables import Table

__all__ = [
    "DEFAULT_CHANGE_THRESHOLD",
    "DEFAULT_OUTLIER_THRESHOLD",
    "KINDS",
    "Anomaly",
    "History",
    "find_anomalies",
    "history_from_dataset",
    "history_from_table",
    "robust_z",
]

DEFAULT_CHANGE_THRESHOLD = 0.30
DEFAULT_OUTLIER_THRESHOLD = 3.5
MIN_OUTLIER_GROUP = 5
#: 0.6745 = Φ⁻¹(0.75): makes the MAD a consistent estimate of σ for normal data.
MAD_SCALE = 0.6745
KINDS = ("缺失", "超出合理范围", "同比异动", "离群")
CHANGE_KEYS = ("异动阈值", "同比阈值", "change_threshold")
OUTLIER_KEYS = ("离群阈值", "异常值阈值", "outlier_threshold")
_OFF = {"关闭", "否", "不检查", "off", "none"}
_SKIP_METHODS = ("grade", "deduct")


@dataclass(frozen=True)
class Anomaly:
    """One warning: what kind, for which unit and indicator, the value and the comparison."""

    kind: str
    unit: str
    unit_name: str
    indicator: str
    indicator_name: str
    value: float | None
    comparison: str
    sheet: str = ""
    cell: str = ""
    file: str = ""

    @property
    def message(self) -> str:
        value = "" if self.value is None else f"为 {fmt_num(self.value)}，"
        return (
            f"【{self.kind}】单位 {quote(self.unit)}（{self.unit_name}）的指标 {quote(self.indicator)}"
            f"（{self.indicator_name}）{value}{self.comparison}"
        )

    def to_problem(self) -> Problem:
        return Problem(self.message, self.sheet, self.cell, self.file, WARNING)

    def to_record(self) -> dict[str, object]:
        """A row for a results sheet or a bulletin appendix (Chinese keys)."""
        place = f"{self.sheet}!{self.cell}" if self.sheet and self.cell else self.sheet
        return {
            "类型": self.kind,
            "单位编码": self.unit,
            "单位名称": self.unit_name,
            "指标编码": self.indicator,
            "指标名称": self.indicator_name,
            "数值": self.value,
            "说明": self.comparison,
            "位置": place,
        }


@dataclass(frozen=True)
class History:
    """Earlier years' values: year -> frame (index unit codes, one column per code or raw column).

    ``places`` maps (year, unit, column) to where the value sits (``历年!C5`` or
    ``2024.xlsx 数据!D7``), so a warning can name both cells.
    """

    years: Mapping[str, pd.DataFrame]
    places: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    source: str = ""

    def previous(self, current_year: str = "") -> tuple[str, pd.DataFrame] | None:
        """The year to compare with: the latest one before ``current_year`` (or the latest)."""
        now = _year_number(current_year)
        candidates = sorted((y for y in self.years if now is None or (_year_number(y) or 0) < now), key=_year_key)
        if not candidates:
            return None
        year = candidates[-1]
        return year, self.years[year]


def _year_number(text: object) -> int | None:
    m = re.search(r"(\d{4})", str(text or ""))
    return int(m.group(1)) if m else None


def _year_key(year: str) -> tuple[int, str]:
    return (_year_number(year) or 0, year)


def _year_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    n = _year_number(value)
    return str(n) if n is not None else str(value).strip()


def history_from_table(table: Table, file: str = "") -> tuple[History, list[Problem]]:
    """Read a 历年 sheet (单位编码, 年度, then value columns). Unreadable cells are warnings."""
    problems: list[Problem] = []

    def warn(cell: str, message: str) -> None:
        problems.append(Problem(message, table.sheet, cell, file or table.file, WARNING))

    ucol = table.column_index("单位编码", "编码", "unit", "code")
    ycol = table.column_index("年度", "年份", "year")
    if ucol is None or ycol is None:
        missing = "、".join(n for n, j in (("单位编码", ucol), ("年度", ycol)) if j is None)
        warn("", f"历年表缺少 {missing} 列，无法做同比比较")
        return History({}, {}, table.sheet), problems
    skip = {ucol, ycol} | {j for j, c in enumerate(table.columns) if not c or c in ("单位名称", "名称", "类别", "备注")}
    cols = [j for j in range(len(table.columns)) if j not in skip]
    data: dict[str, dict[str, dict[str, float]]] = {}
    places: dict[tuple[str, str, str], str] = {}
    seen: dict[tuple[str, str], str] = {}
    for i in table:
        unit_value, year_value = table.value(i, ucol), table.value(i, ycol)
        if is_blank(unit_value) and is_blank(year_value):
            continue
        unit = _year_text(unit_value) if isinstance(unit_value, float) else str(unit_value).strip()
        year = _year_text(year_value)
        if not unit or is_blank(year_value) or _year_number(year) is None:
            warn(table.cell(i, ycol), f"年度 {quote(year_value)} 无效（应为 2024 或 2024年），这一行已忽略")
            continue
        if (unit, year) in seen:
            warn(
                table.cell(i, ucol),
                f"单位 {quote(unit)} 的 {year} 年数据重复（已见于 {seen[(unit, year)]}），以首行为准",
            )
            continue
        seen[(unit, year)] = table.cell(i, ucol)
        row = data.setdefault(year, {}).setdefault(unit, {})
        for j in cols:
            value = table.value(i, j)
            if is_blank(value) or (isinstance(value, str) and value.strip() == "不适用"):
                continue
            number = parse_number(value)
            if number is None:
                # 定性 grades and notes are kept out of the comparison without a fuss.
                continue
            row[table.columns[j]] = number
            places[(year, unit, table.columns[j])] = f"{table.sheet}!{table.cell(i, j)}"
    years = {y: pd.DataFrame.from_dict(units, orient="index", dtype=float) for y, units in data.items()}
    return History(years, places, table.sheet), problems


def history_from_dataset(dataset: Dataset, year: str, file: str = "") -> History:
    """The data of a previous year's workbook as a one-year history."""
    frame = dataset.values.mask(dataset.not_applicable.reindex_like(dataset.values).fillna(False).astype(bool))
    places = {}
    for unit in frame.index:
        for col in frame.columns:
            cell = dataset.cell(unit, col)
            if cell:
                places[(year, str(unit), col)] = f"{file} {dataset.sheet}!{cell}".strip()
    return History({year: frame}, places, file)


def _setting(scheme: Scheme, keys: Sequence[str], default: float, ratio: bool) -> tuple[float | None, list[Problem]]:
    extra = {k.lower(): k for k in scheme.settings.extra}
    for key in keys:
        if key.lower() in extra:
            name = extra[key.lower()]
            text = scheme.settings.extra[name]
            cell = scheme.settings.cells.get(name, "")
            if not str(text).strip():
                return default, []
            if str(text).strip().lower() in _OFF:
                return None, []
            n = parse_number(text)
            if n is not None and ratio and n > 1:
                n /= 100  # "30" typed as text means 30 %
            if n is None or n <= 0:
                shown = f"{default:.0%}" if ratio else fmt_num(default)
                return default, [
                    Problem(f"{keys[0]} {quote(text)} 无效，按默认 {shown} 检查", "设置", cell, "", WARNING)
                ]
            return n, []
    return default, []


def robust_z(values: np.ndarray) -> np.ndarray:
    """Modified z-scores 0.6745 (x − median) / MAD; NaN where MAD is 0 or x is NaN."""
    x = np.asarray(values, dtype=float)
    ok = ~np.isnan(x)
    out = np.full(x.shape, np.nan)
    if ok.sum() == 0:
        return out
    med = np.median(x[ok])
    mad = np.median(np.abs(x[ok] - med))
    if mad == 0:
        return out
    out[ok] = MAD_SCALE * (x[ok] - med) / mad
    return out


def find_anomalies(
    scheme: Scheme, dataset: Dataset, history: History | None = None, file: str = ""
) -> tuple[list[Anomaly], list[Problem]]:
    """Every anomaly of ``dataset`` (derived columns already added), and setting problems.

    Anomalies come in the order: missing, range, year-on-year, outliers; within each,
    by indicator then unit.
    """
    change, problems = _setting(scheme, CHANGE_KEYS, DEFAULT_CHANGE_THRESHOLD, True)
    outlier, more = _setting(scheme, OUTLIER_KEYS, DEFAULT_OUTLIER_THRESHOLD, False)
    problems = [p.with_file(file) if file else p for p in (*problems, *more)]
    units = [u for u in scheme.units]
    codes = [u.code for u in units]
    names = {u.code: u.name for u in units}
    category = np.array([u.category for u in units], dtype=object)
    values = dataset.values.reindex(pd.Index(codes, dtype=object))
    na = dataset.not_applicable.reindex(pd.Index(codes, dtype=object)).fillna(False).astype(bool)
    has_row = np.array([(not dataset.rows) or c in dataset.rows for c in codes], dtype=bool)
    out: list[Anomaly] = []

    def place(unit: str, column: str) -> tuple[str, str]:
        cell = dataset.cell(unit, column)
        if not cell:
            cell = dataset.cell(unit, "单位编码")
        return dataset.sheet, cell

    def add(kind: str, k: int, ind: Indicator, value: float | None, comparison: str, column: str | None = None) -> None:
        sheet, cell = place(codes[k], column or ind.code)
        out.append(Anomaly(kind, codes[k], names[codes[k]], ind.code, ind.name, value, comparison, sheet, cell, file))

    columns = []
    # applies_to once per category, not once per unit and indicator (2 million calls at 10,000 × 200).
    cat_index, cat_names = pd.factorize(pd.Series(category, dtype=object), use_na_sentinel=False)
    for ind in scheme.indicators:
        if ind.code not in values.columns:
            continue
        x = values[ind.code].to_numpy(dtype=float)
        n_a = na[ind.code].to_numpy(dtype=bool) if ind.code in na.columns else np.zeros(len(codes), bool)
        applies = np.array([ind.applies_to(c) for c in cat_names], dtype=bool)[cat_index]
        columns.append((ind, x, n_a, applies))

    # 1. missing
    for ind, x, n_a, applies in columns:
        blank = applies & ~n_a & np.isnan(x) & has_row
        if not blank.any():
            continue
        inputs = _formula_inputs(ind)
        for k in np.flatnonzero(blank):
            missing = [c for c in inputs if c in values.columns and math.isnan(values[c].iloc[k])]
            if ind.formula and missing:
                for c in missing:
                    add("缺失", k, ind, None, f"的计算数据 {quote(c)} 未填报，该指标计 0 分", c)
            else:
                add("缺失", k, ind, None, "未填报，该指标计 0 分")

    # 2. plausible range
    for ind, x, n_a, applies in columns:
        lo, hi = ind.plausible_min, ind.plausible_max
        if lo is None and hi is None:
            continue
        ok = applies & ~n_a & ~np.isnan(x)
        bounds = f"{fmt_num(lo) if lo is not None else '−∞'}–{fmt_num(hi) if hi is not None else '+∞'}"
        for k in np.flatnonzero(ok):
            if lo is not None and x[k] < lo:
                add("超出合理范围", k, ind, x[k], f"低于合理下限 {fmt_num(lo)}（合理范围 {bounds}）")
            elif hi is not None and x[k] > hi:
                add("超出合理范围", k, ind, x[k], f"高于合理上限 {fmt_num(hi)}（合理范围 {bounds}）")

    # 3. year on year
    prev = history.previous(scheme.settings.year) if history is not None and change is not None else None
    if prev is not None:
        year, frame = prev
        frame = _with_derived(scheme.indicators, frame)
        for ind, x, n_a, applies in columns:
            if ind.method in _SKIP_METHODS or ind.code not in frame.columns:
                continue
            last = frame[ind.code].reindex(pd.Index(codes, dtype=object)).to_numpy(dtype=float)
            ok = applies & ~n_a & ~np.isnan(x) & ~np.isnan(last)
            for k in np.flatnonzero(ok):
                before, now = last[k], x[k]
                where = history.places.get((year, codes[k], ind.code), "")
                where = f"，{where}" if where else ("，由公式计算" if ind.formula else "")
                if before == 0:
                    if now != 0:
                        add("同比异动", k, ind, now, f"上年（{year}年{where}）为 0，无法计算变动率，请核实")
                    continue
                rate = (now - before) / abs(before)
                if abs(rate) > change + 1e-12:
                    add(
                        "同比异动",
                        k,
                        ind,
                        now,
                        f"上年（{year}年{where}）为 {fmt_num(before)}，同比 {rate:+.1%}，超过异动阈值 {change:.0%}",
                    )

    # 4. outliers within a category
    if outlier is not None:
        for ind, x, n_a, applies in columns:
            if ind.method in _SKIP_METHODS:
                continue
            for cat in dict.fromkeys(category):
                idx = np.flatnonzero((category == cat) & applies & ~n_a & ~np.isnan(x))
                if len(idx) < MIN_OUTLIER_GROUP:
                    continue
                z = robust_z(x[idx])
                med = float(np.median(x[idx]))
                far = np.abs(z) > outlier  # NaN compares False
                for k, zk in zip(idx[far], z[far]):
                    if not np.isnan(zk) and abs(zk) > outlier:
                        side = "高于" if zk > 0 else "低于"
                        add(
                            "离群",
                            k,
                            ind,
                            x[k],
                            f"明显{side}“{cat}”类中位数 {fmt_num(med)}（稳健 z 值 {zk:.2f}，离群阈值 {fmt_num(outlier)}）",
                        )
    return out, problems


def _formula_inputs(ind: Indicator) -> tuple[str, ...]:
    if not ind.formula:
        return ()
    try:
        return parse_formula(ind.formula).names
    except FormulaError:
        return ()


def _with_derived(indicators: Sequence[Indicator], frame: pd.DataFrame) -> pd.DataFrame:
    """Add derived indicators to an earlier year's frame where its raw columns are there.

    Division by zero gives a blank here (last year's data is not checked again).
    """
    frame = frame.copy()
    pending = [i for i in indicators if i.formula and i.code not in frame.columns]
    for _ in range(len(pending)):
        progressed = False
        for ind in list(pending):
            try:
                f = parse_formula(ind.formula)
            except FormulaError:
                pending.remove(ind)
                continue
            if all(n in frame.columns for n in f.names):
                cols = {n: frame[n].to_numpy(dtype=float) for n in f.names}
                values, _, _ = f.evaluate(cols, None, len(frame))
                frame[ind.code] = values
                pending.remove(ind)
                progressed = True
        if not progressed:
            break
    return frame
