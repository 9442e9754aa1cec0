"""功效系数 (``efficacy``): SASAC's five standard values 优秀…较差 and their coefficients."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from perf_excel.core.errors import quote
from perf_excel.core.methods._common import ERR, N
from perf_excel.core.methods.base import Method, Param, ParamProblem, Shown
from perf_excel.core.model import Indicator
from perf_excel.core.numbers import fmt2

#: 功效系数 levels and their coefficients, best first.
EFFICACY_LEVELS: tuple[str, ...] = ("优秀", "良好", "平均", "较低", "较差")
EFFICACY_COEFFICIENTS: tuple[float, ...] = (1.0, 0.8, 0.6, 0.4, 0.2)
#: The 指标 columns of the five standard values, best first.
STANDARD_COLUMNS: tuple[str, ...] = tuple(f"{level}值" for level in EFFICACY_LEVELS)


def _efficacy_parts(ind: Indicator, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level index k (0 = at/above 优秀, 5 = below 较差, else the 本档) and the score."""
    v = np.asarray(ind.standards, dtype=float)
    sign = 1.0 if ind.positive else -1.0
    xs, vs = x * sign, v * sign  # reverse indicators mirror into a positive one
    # k = first level whose standard value the actual reaches (x >= v_k).
    reached = xs[:, None] >= vs[None, :]
    k = np.where(reached.any(axis=1), reached.argmax(axis=1), 5)
    c = np.asarray(EFFICACY_COEFFICIENTS)
    p = ind.points
    kk = np.clip(k, 1, 4)
    with np.errstate(**ERR):
        frac = (xs - vs[kk]) / (vs[kk - 1] - vs[kk])
    score = p * c[kk] + frac * p * (c[kk - 1] - c[kk])
    score = np.where(k == 0, p, np.where(k == 5, 0.0, score))
    return k, score


def score_efficacy(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """SASAC 功效系数 over the five standard values 优秀…较差."""
    return _efficacy_parts(ind, x)[1]


def _efficacy_level(ind: Indicator, x: float) -> int:
    """The level index k of :func:`_efficacy_parts` for one value, without numpy (explain runs per cell)."""
    sign = 1.0 if ind.positive else -1.0
    xs = x * sign
    for k, v in enumerate(ind.standards):
        if xs >= float(v) * sign:
            return k
    return 5


def explain_efficacy(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    v = ind.standards
    k = _efficacy_level(ind, x)
    better, worse = ("≥", "<") if ind.positive else ("≤", ">")
    if k == 0:
        return f"功效系数：{N(x)} {better} 优秀值 {N(v[0])}，得满分 {fmt2(s)}"
    if k == 5:
        return f"功效系数：{N(x)} {worse} 较差值 {N(v[4])}，得 0.00"
    c = EFFICACY_COEFFICIENTS
    base = ind.points * c[k]
    span = ind.points * (c[k - 1] - c[k])
    return (
        f"功效系数：{EFFICACY_LEVELS[k]}档 {N(base)} + "
        f"({N(x)}−{N(v[k])})/({N(v[k - 1])}−{N(v[k])})×{N(span)} = {fmt2(s)}"
    )


def standards_count_problem(n: int) -> str | None:
    """The problem of ``n`` standard values, if ``n`` is not five (a range of the wrong size)."""
    if n == len(STANDARD_COLUMNS):
        return None
    return f"功效系数需要 5 个标准值（优秀、良好、平均、较低、较差），收到 {n} 个"


def check_efficacy(ind: Indicator, shown: Shown) -> Iterator[ParamProblem]:
    v = ind.standards
    count = standards_count_problem(0 if v is None else len(v))
    if count:
        yield ParamProblem(STANDARD_COLUMNS[0], count)
        return
    if any(s is None for s in v):
        return
    sign = 1 if ind.positive else -1
    names = STANDARD_COLUMNS
    for a in range(4):
        if not sign * v[a] > sign * v[a + 1]:
            word = "递减" if ind.positive else "递增"
            yield ParamProblem(
                names[a + 1],
                f"功效系数标准值应从优秀到较差{word}（{'正向' if ind.positive else '逆向'}）："
                f"{names[a]} {quote(v[a])}，{names[a + 1]} {quote(v[a + 1])}",
            )
            return


METHOD = Method(
    key="efficacy",
    name="功效系数",
    score=score_efficacy,
    explain=explain_efficacy,
    params=tuple(Param(column, "standards", required=True, index=k) for k, column in enumerate(STANDARD_COLUMNS)),
    check=check_efficacy,
    parameters="优秀值、良好值、平均值、较低值、较差值（正向由大到小，逆向由小到大）",
    rule="国资委五档标准值，系数 1.0/0.8/0.6/0.4/0.2；分值×本档系数 +（实际值−本档值）/（上档值−本档值）"
    "×分值×（上档系数−本档系数）；达到优秀值得满分，低于较差值得 0",
    example="分值 20，良好值 9.5，平均值 1.7，实际 8 → 15.23",
)
