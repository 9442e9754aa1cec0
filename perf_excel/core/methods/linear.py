"""线性 (``linear``): 0 at 下限, 分值 at 目标值, linear between, clamped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from perf_excel.core.errors import quote
from perf_excel.core.methods._common import N
from perf_excel.core.methods.base import Method, Param, ParamProblem, Shown
from perf_excel.core.model import Indicator
from perf_excel.core.numbers import fmt2


def score_linear(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """0 at 下限, 分值 at 目标值, linear between, clamped (下限 > 目标值 for reverse)."""
    frac = (x - ind.floor) / (ind.target - ind.floor)
    return np.clip(frac, 0.0, 1.0) * ind.points


def explain_linear(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    expr = f"({N(x)}−{N(ind.floor)})/({N(ind.target)}−{N(ind.floor)})×{N(ind.points)}"
    frac = (x - ind.floor) / (ind.target - ind.floor)
    if frac >= 1:
        return f"线性：{N(x)} 达到目标值 {N(ind.target)}，得满分 {fmt2(s)}"
    if frac <= 0:
        return f"线性：{N(x)} 未超过下限 {N(ind.floor)}，得 0.00"
    return f"线性：{expr} = {fmt2(s)}"


def check_linear(ind: Indicator, shown: Shown) -> Iterator[ParamProblem]:
    if ind.floor is not None and ind.floor == ind.target:
        yield ParamProblem("下限", f"线性计分的下限与目标值相同（{quote(shown('下限'))}）")


METHOD = Method(
    key="linear",
    name="线性",
    score=score_linear,
    explain=explain_linear,
    params=(Param("目标值", "target", required=True), Param("下限", "floor", required=True)),
    check=check_linear,
    parameters="下限、目标值",
    rule="下限得 0，目标值得满分，其间按比例，超出两端取 0 或满分",
    example="下限 60，目标值 100，实际 80，分值 10 → 5.00",
)
