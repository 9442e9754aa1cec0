"""定性 (``grade``): a grade word or letter (优/良/中/差, A–D) → a fraction of 分值."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from perf_excel.core.errors import quote
from perf_excel.core.methods._common import CLAUSES, N
from perf_excel.core.methods.base import Method, Param
from perf_excel.core.model import Indicator
from perf_excel.core.numbers import fmt2, parse_number


def parse_grade_table(text: str) -> dict[str, float]:
    """Parse ``优:1; 良:0.8; 中:0.6; 差:0.4`` into a table."""
    table: dict[str, float] = {}
    for clause in CLAUSES.split(text):
        if not clause.strip():
            continue
        parts = re.split(r"[:：=＝]", clause, maxsplit=1)
        frac = parse_number(parts[1]) if len(parts) == 2 else None
        if frac is None or not parts[0].strip():
            raise ValueError(f"无法识别 {quote(clause.strip())}（应形如 优:1; 良:0.8）")
        table[parts[0].strip()] = frac
        table.setdefault(parts[0].strip().upper(), frac)
    if not table:
        raise ValueError("定性折算表为空")
    return table


def _parse_column(text: str) -> dict[str, float]:
    """An indicator's own table, typed in its 区间 column."""
    try:
        return parse_grade_table(text)
    except ValueError as exc:
        raise ValueError(f"定性折算 {quote(text)}：{exc}") from None


def grade_fraction(table: Mapping[str, float], text: str) -> float | None:
    """The fraction of a grade text (``良``, ``B``, `` b ``); None if not in the table."""
    key = str(text).strip()
    if key in table:
        return table[key]
    upper = key.upper()
    return table.get(upper)


def score_grade(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """定性 grades are turned into fractions when the data are read; x holds them."""
    return np.clip(x, 0.0, None) * ind.points


def explain_grade(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    return f"定性：{ctx.get('text', '')} → {N(x)}×{N(ind.points)} = {fmt2(s)}"


METHOD = Method(
    key="grade",
    name="定性",
    score=score_grade,
    explain=explain_grade,
    params=(Param("区间", "grade_table", parse=_parse_column, settings_default="grade_table"),),
    parameters="数据填 优/良/中/差 或 A/B/C/D；可在 区间 列填折算表",
    rule="等级按折算表换成比例再乘分值，默认 优/A 1.0、良/B 0.8、中/C 0.6、差/D 0.4",
    example="良，分值 15 → 12.00",
)
