"""排名 (``rank``): by place within the category (步长 per place) or in proportion to the best."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from perf_excel.core.methods._common import ERR, N
from perf_excel.core.methods.base import Method, Param
from perf_excel.core.model import Indicator
from perf_excel.core.numbers import fmt2


def rank_in_groups(values: np.ndarray, groups: np.ndarray, higher_first: bool = True) -> np.ndarray:
    """Competition ranks (1224) within each group; NaN values get NaN ranks.

    The rank of a value is 1 + the number of values in its group strictly better.
    """
    ranks = np.full(values.shape, np.nan)
    key = values if higher_first else -values
    for g in np.unique(groups):
        sel = (groups == g) & ~np.isnan(values)
        if not sel.any():
            continue
        v = key[sel]
        # How many values are strictly better: a binary search on the sorted group.
        greater = len(v) - np.searchsorted(np.sort(v), v, side="right")
        ranks[sel] = greater + 1
    return ranks


def score_rank(ind: Indicator, x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """By rank within the category: 分值 − (rank−1) × 步长 (floor 0), or x/max × 分值."""
    if ind.step is not None:
        ranks = rank_in_groups(x, groups, higher_first=ind.positive)
        return np.maximum(ind.points - (ranks - 1) * ind.step, 0.0)
    out = np.zeros(x.shape)
    for g in np.unique(groups):
        sel = (groups == g) & ~np.isnan(x)
        if not sel.any():
            continue
        v = x[sel]
        with np.errstate(**ERR):
            if ind.positive:
                best = v.max()
                frac = v / best if best > 0 else np.zeros(v.shape)
            else:
                best = v.min()
                frac = np.where(v > 0, best / v, 1.0) if best >= 0 else np.zeros(v.shape)
        out[sel] = np.clip(frac, 0.0, 1.0) * ind.points
    return out


def explain_rank(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    if ind.step is not None:
        r = int(ctx["rank"])
        return f"排名：类别内第{r}名，{N(ind.points)}−({r}−1)×{N(ind.step)} = {fmt2(s)}"
    best = ctx["best"]
    if ind.positive:
        return f"排名：{N(x)}/{N(best)}（类别内最高）×{N(ind.points)} = {fmt2(s)}"
    return f"排名（逆向）：{N(best)}（类别内最低）/{N(x)}×{N(ind.points)} = {fmt2(s)}"


METHOD = Method(
    key="rank",
    name="排名",
    score=score_rank,
    explain=explain_rank,
    params=(Param("步长", "step", bound="non_negative"),),
    parameters="可选 步长",
    rule="填步长：类别内第 1 名得满分，每后一名减 步长（最低 0）；不填：实际值/类别内最优值×分值",
    example="步长 0.5，第 3 名，分值 5 → 4.00",
)
