"""阶梯 (``step``): SASAC's profit rule, 分值 ± 1 point per 步长 % above/below 目标值."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from perf_excel.core.errors import quote
from perf_excel.core.methods._common import N
from perf_excel.core.methods.base import Method, Param, ParamProblem, Shown
from perf_excel.core.model import Indicator
from perf_excel.core.numbers import fmt2

#: 阶梯方式 -> whether part steps count (线性) or only whole ones (整档, the default).
STEP_MODES: Mapping[str, bool] = {"整档": False, "线性": True, "按比例": True}


def _parse_mode(text: str) -> bool:
    if text not in STEP_MODES:
        raise ValueError(f"阶梯方式 {quote(text)} 无效（应为 整档 或 线性）")
    return STEP_MODES[text]


def _step_points(ind: Indicator, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(percent above target in the good direction, points added or taken)."""
    sign = 1.0 if ind.positive else -1.0
    pct = sign * (x - ind.target) / abs(ind.target) * 100.0
    steps = pct / ind.step
    if not ind.step_linear:
        # Whole steps only: 2.5 % above with a 1 % step is 2 steps, 2.5 % below is −2.
        steps = np.trunc(np.round(steps, 9))
    if ind.step_bound is not None:
        steps = np.clip(steps, -ind.step_bound, ind.step_bound)
    return pct, steps


def score_step(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """SASAC profit rule: 分值 ± 1 point per 步长 % above/below 目标值, within ± 浮动上限."""
    _, adj = _step_points(ind, x)
    return np.maximum(ind.points + adj, 0.0)


def explain_step(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    pct, adj = _step_points(ind, np.array([x]))
    way = "整档" if not ind.step_linear else "按比例"
    bound = f"，上下限±{N(ind.step_bound)}" if ind.step_bound is not None else ""
    word = "高" if x >= ind.target else "低"
    sign = "+" if adj[0] >= 0 else "−"
    return (
        f"阶梯：{N(x)} 比目标值 {N(ind.target)} {word} {N(abs(x - ind.target) / abs(ind.target) * 100, 2)}%，"
        f"每{N(ind.step)}%计1分（{way}{bound}），{N(ind.points)}{sign}{N(abs(adj[0]), 2)} = {fmt2(s)}"
    )


def check_step(ind: Indicator, shown: Shown) -> Iterator[ParamProblem]:
    if ind.target == 0:
        yield ParamProblem("目标值", "阶梯计分的目标值不能为 0")


METHOD = Method(
    key="step",
    name="阶梯",
    score=score_step,
    explain=explain_step,
    params=(
        Param("目标值", "target", required=True),
        Param("步长", "step", required=True, bound="positive", label="阶梯的步长", hint="每多少个百分点计 1 分"),
        Param("浮动上限", "step_bound"),
        Param("阶梯方式", "step_linear", parse=_parse_mode),
    ),
    check=check_step,
    parameters="目标值、步长；可选 浮动上限、阶梯方式",
    rule="分值 ± 每高于/低于目标值 步长 个百分点计 1 分，不超过 ±浮动上限，最低 0",
    example="分值 10，目标值 100，步长 1，实际 103 → 13.00",
)
