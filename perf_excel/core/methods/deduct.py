"""扣分 (``deduct``): 分值 − count × 每项扣分, floor 0."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from perf_excel.core.methods._common import N
from perf_excel.core.methods.base import Method, Param
from perf_excel.core.model import Indicator
from perf_excel.core.numbers import fmt2


def score_deduct(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """分值 − count × 每项扣分, floor 0."""
    return np.maximum(ind.points - x * ind.per_item, 0.0)


def explain_deduct(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    expr = f"{N(ind.points)}−{N(x)}×{N(ind.per_item)}"
    if ind.points - x * ind.per_item < 0:
        return f"扣分：{expr} < 0，得 0.00"
    return f"扣分：{expr} = {fmt2(s)}"


METHOD = Method(
    key="deduct",
    name="扣分",
    score=score_deduct,
    explain=explain_deduct,
    params=(Param("每项扣分", "per_item", required=True, bound="positive"),),
    parameters="每项扣分（数据填项数或次数）",
    rule="分值 − 项数×每项扣分，最低 0 分",
    example="每项扣分 2，发生 1 起，分值 10 → 8.00",
)
