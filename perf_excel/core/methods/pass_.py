"""达标 (``pass``): 分值 if the target is met, else 0."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from perf_excel.core.methods._common import N
from perf_excel.core.methods.base import Method, Param
from perf_excel.core.model import Indicator
from perf_excel.core.numbers import fmt2


def score_pass(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """分值 if the target is met (正向 ≥ 目标值, 逆向 ≤ 目标值), else 0."""
    with np.errstate(invalid="ignore"):
        met = x >= ind.target if ind.positive else x <= ind.target
    return np.where(met, ind.points, 0.0)


def explain_pass(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    op_ok, op_no = ("≥", "<") if ind.positive else ("≤", ">")
    if s > 0:
        return f"达标：{N(x)} {op_ok} 目标值 {N(ind.target)}，达标，得 {fmt2(s)}"
    return f"达标：{N(x)} {op_no} 目标值 {N(ind.target)}，未达标，得 0.00"


METHOD = Method(
    key="pass",
    name="达标",
    score=score_pass,
    explain=explain_pass,
    params=(Param("目标值", "target", required=True),),
    parameters="目标值",
    rule="正向 ≥ 目标值（逆向 ≤ 目标值）得满分，否则 0",
    example="目标值 95，实际 96，分值 5 → 5.00",
)
