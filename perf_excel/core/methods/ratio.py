"""完成比例 (``ratio``): actual/target × 分值, 逆向 target/actual × 分值, capped at 分值 × 封顶."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from perf_excel.core.methods._common import ERR, N, cap
from perf_excel.core.methods.base import Method, Param
from perf_excel.core.model import Indicator
from perf_excel.core.numbers import fmt2


def score_ratio(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """actual/target × 分值 (逆向: target/actual × 分值), between 0 and 分值 × 封顶."""
    top = ind.points * cap(ind)
    with np.errstate(**ERR):
        if ind.positive:
            raw = x / ind.target * ind.points
        else:
            # An actual of 0 (no accidents, no complaints) is the best a reverse
            # indicator can do: it takes the cap.
            raw = np.where(x > 0, ind.target / x * ind.points, np.inf)
    return np.clip(raw, 0.0, top)


def explain_ratio(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    if ind.positive:
        expr = f"{N(x)}/{N(ind.target)}×{N(ind.points)}"
        raw = x / ind.target * ind.points
    else:
        if x <= 0:
            return f"完成比例（逆向）：实际值 {N(x)} ≤ 0，得最高分 {fmt2(s)}"
        expr = f"{N(ind.target)}/{N(x)}×{N(ind.points)}"
        raw = ind.target / x * ind.points
    label = "完成比例" if ind.positive else "完成比例（逆向）"
    if raw > s + 1e-12:
        return f"{label}：{expr} = {fmt2(raw)}，封顶 {fmt2(s)}"
    if raw < 0:
        return f"{label}：{expr} = {fmt2(raw)}，不低于 0，得 0.00"
    return f"{label}：{expr} = {fmt2(s)}"


METHOD = Method(
    key="ratio",
    name="完成比例",
    score=score_ratio,
    explain=explain_ratio,
    params=(
        Param("目标值", "target", required=True, bound="positive", label="完成比例的目标值"),
        Param("封顶", "cap", bound="positive"),
    ),
    parameters="目标值；可选 封顶（默认 1）",
    rule="正向 实际值/目标值×分值，逆向 目标值/实际值×分值，不超过 分值×封顶",
    example="目标值 500，实际 487，分值 10 → 9.74",
)
