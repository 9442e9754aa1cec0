"""直接 (``manual``): the entered value is the score (a third-party survey, an expert panel)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from perf_excel.core.methods._common import N
from perf_excel.core.methods.base import Method
from perf_excel.core.model import Indicator
from perf_excel.core.numbers import fmt2


def score_manual(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """The entered value is the score (its range 0..分值 is checked when data are read)."""
    return np.clip(x, 0.0, ind.points)


def explain_manual(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    return f"直接：录入得分 {fmt2(s)}（满分 {N(ind.points)}）"


METHOD = Method(
    key="manual",
    name="直接",
    score=score_manual,
    explain=explain_manual,
    parameters="无（数据即得分）",
    rule="录入的得分即为得分，须在 0–分值 之间",
    example="第三方测评 4.5 分，分值 5 → 4.50",
)
