"""The scoring catalogue: one pure, vectorised function per method, and its explanation.

``score(ind, x, groups)`` takes an indicator, the actual values of every unit the
indicator applies to (a float array; NaN where missing) and, for relative methods,
the group (category) of each unit; it returns the points of each unit. Missing
values are set to 0 by the caller, so methods may return anything for NaN.

``explain(ind, x, score, context)`` returns the one-line Chinese explanation of one
unit's score, with the numbers that produced it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from .model import EFFICACY_COEFFICIENTS, EFFICACY_LEVELS, Band, Indicator
from .numbers import fmt2, fmt_num

__all__ = [
    "SCORERS",
    "explain",
    "grade_fraction",
    "match_band",
    "rank_in_groups",
    "score_band",
    "score_deduct",
    "score_efficacy",
    "score_grade",
    "score_linear",
    "score_manual",
    "score_pass",
    "score_rank",
    "score_ratio",
    "score_step",
]

Scorer = Callable[[Indicator, np.ndarray, np.ndarray], np.ndarray]

_N = fmt_num
_ERR = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


def _cap(ind: Indicator) -> float:
    return 1.0 if ind.cap is None else ind.cap


# --- 完成比例 -------------------------------------------------------------------
def score_ratio(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """actual/target × 分值 (逆向: target/actual × 分值), between 0 and 分值 × 封顶."""
    top = ind.points * _cap(ind)
    with np.errstate(**_ERR):
        if ind.positive:
            raw = x / ind.target * ind.points
        else:
            # An actual of 0 (no accidents, no complaints) is the best a reverse
            # indicator can do: it takes the cap.
            raw = np.where(x > 0, ind.target / x * ind.points, np.inf)
    return np.clip(raw, 0.0, top)


def _explain_ratio(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    if ind.positive:
        expr = f"{_N(x)}/{_N(ind.target)}×{_N(ind.points)}"
        raw = x / ind.target * ind.points
    else:
        if x <= 0:
            return f"完成比例（逆向）：实际值 {_N(x)} ≤ 0，得最高分 {fmt2(s)}"
        expr = f"{_N(ind.target)}/{_N(x)}×{_N(ind.points)}"
        raw = ind.target / x * ind.points
    label = "完成比例" if ind.positive else "完成比例（逆向）"
    if raw > s + 1e-12:
        return f"{label}：{expr} = {fmt2(raw)}，封顶 {fmt2(s)}"
    if raw < 0:
        return f"{label}：{expr} = {fmt2(raw)}，不低于 0，得 0.00"
    return f"{label}：{expr} = {fmt2(s)}"


# --- 功效系数 -------------------------------------------------------------------
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
    with np.errstate(**_ERR):
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


def _explain_efficacy(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    v = ind.standards
    k = _efficacy_level(ind, x)
    better, worse = ("≥", "<") if ind.positive else ("≤", ">")
    if k == 0:
        return f"功效系数：{_N(x)} {better} 优秀值 {_N(v[0])}，得满分 {fmt2(s)}"
    if k == 5:
        return f"功效系数：{_N(x)} {worse} 较差值 {_N(v[4])}，得 0.00"
    c = EFFICACY_COEFFICIENTS
    base = ind.points * c[k]
    span = ind.points * (c[k - 1] - c[k])
    return (
        f"功效系数：{EFFICACY_LEVELS[k]}档 {_N(base)} + "
        f"({_N(x)}−{_N(v[k])})/({_N(v[k - 1])}−{_N(v[k])})×{_N(span)} = {fmt2(s)}"
    )


# --- 区间 -----------------------------------------------------------------------
def _band_hits(band: Band, x: np.ndarray) -> np.ndarray:
    t = band.threshold
    with np.errstate(invalid="ignore"):
        return {
            ">=": lambda: x >= t,
            ">": lambda: x > t,
            "<=": lambda: x <= t,
            "<": lambda: x < t,
            "=": lambda: np.isclose(x, t, rtol=0, atol=1e-9),
            "else": lambda: np.ones(x.shape, dtype=bool),
        }[band.op]()


def match_band(bands: tuple[Band, ...], x: np.ndarray) -> np.ndarray:
    """Index of the first clause each value meets; -1 where none does."""
    out = np.full(x.shape, -1, dtype=int)
    for i, band in enumerate(bands):
        out = np.where((out < 0) & _band_hits(band, x), i, out)
    return out


def score_band(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """The first clause of 区间 that the value meets gives the fraction of 分值; none → 0."""
    idx = match_band(ind.bands, x)
    fractions = np.array([b.fraction for b in ind.bands] + [0.0])
    return fractions[idx] * ind.points


_OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}


def _band_hit(band: Band, x: float) -> bool:
    """:func:`_band_hits` for one value (``=`` as ``np.isclose(x, t, rtol=0, atol=1e-9)``)."""
    t, op = band.threshold, band.op
    if op == ">=":
        return x >= t
    if op == ">":
        return x > t
    if op == "<=":
        return x <= t
    if op == "<":
        return x < t
    if op == "=":
        return x == t or (math.isfinite(x) and math.isfinite(t) and abs(x - t) <= 1e-9)
    return op == "else"


def match_band_scalar(bands: tuple[Band, ...], x: float) -> int:
    """:func:`match_band` for one value: index of the first clause it meets, -1 if none."""
    for i, band in enumerate(bands):
        if _band_hit(band, x):
            return i
    return -1


def _explain_band(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    i = match_band_scalar(ind.bands, x)
    if i < 0:
        return f"区间：{_N(x)} 不满足任何区间，得 0.00"
    b = ind.bands[i]
    cond = "其他情况" if b.op == "else" else f"{_OP_TEXT[b.op]}{_N(b.threshold)}"
    return f"区间：{_N(x)} 属于 {cond}，{_N(ind.points)}×{_N(b.fraction)} = {fmt2(s)}"


# --- 线性 -----------------------------------------------------------------------
def score_linear(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """0 at 下限, 分值 at 目标值, linear between, clamped (下限 > 目标值 for reverse)."""
    frac = (x - ind.floor) / (ind.target - ind.floor)
    return np.clip(frac, 0.0, 1.0) * ind.points


def _explain_linear(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    expr = f"({_N(x)}−{_N(ind.floor)})/({_N(ind.target)}−{_N(ind.floor)})×{_N(ind.points)}"
    frac = (x - ind.floor) / (ind.target - ind.floor)
    if frac >= 1:
        return f"线性：{_N(x)} 达到目标值 {_N(ind.target)}，得满分 {fmt2(s)}"
    if frac <= 0:
        return f"线性：{_N(x)} 未超过下限 {_N(ind.floor)}，得 0.00"
    return f"线性：{expr} = {fmt2(s)}"


# --- 排名 -----------------------------------------------------------------------
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
        with np.errstate(**_ERR):
            if ind.positive:
                best = v.max()
                frac = v / best if best > 0 else np.zeros(v.shape)
            else:
                best = v.min()
                frac = np.where(v > 0, best / v, 1.0) if best >= 0 else np.zeros(v.shape)
        out[sel] = np.clip(frac, 0.0, 1.0) * ind.points
    return out


def _explain_rank(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    if ind.step is not None:
        r = int(ctx["rank"])
        return f"排名：类别内第{r}名，{_N(ind.points)}−({r}−1)×{_N(ind.step)} = {fmt2(s)}"
    best = ctx["best"]
    if ind.positive:
        return f"排名：{_N(x)}/{_N(best)}（类别内最高）×{_N(ind.points)} = {fmt2(s)}"
    return f"排名（逆向）：{_N(best)}（类别内最低）/{_N(x)}×{_N(ind.points)} = {fmt2(s)}"


# --- 扣分 -----------------------------------------------------------------------
def score_deduct(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """分值 − count × 每项扣分, floor 0."""
    return np.maximum(ind.points - x * ind.per_item, 0.0)


def _explain_deduct(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    expr = f"{_N(ind.points)}−{_N(x)}×{_N(ind.per_item)}"
    if ind.points - x * ind.per_item < 0:
        return f"扣分：{expr} < 0，得 0.00"
    return f"扣分：{expr} = {fmt2(s)}"


# --- 定性 -----------------------------------------------------------------------
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


def _explain_grade(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    return f"定性：{ctx.get('text', '')} → {_N(x)}×{_N(ind.points)} = {fmt2(s)}"


# --- 达标 -----------------------------------------------------------------------
def score_pass(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """分值 if the target is met (正向 ≥ 目标值, 逆向 ≤ 目标值), else 0."""
    with np.errstate(invalid="ignore"):
        met = x >= ind.target if ind.positive else x <= ind.target
    return np.where(met, ind.points, 0.0)


def _explain_pass(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    op_ok, op_no = ("≥", "<") if ind.positive else ("≤", ">")
    if s > 0:
        return f"达标：{_N(x)} {op_ok} 目标值 {_N(ind.target)}，达标，得 {fmt2(s)}"
    return f"达标：{_N(x)} {op_no} 目标值 {_N(ind.target)}，未达标，得 0.00"


# --- 阶梯 -----------------------------------------------------------------------
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


def _explain_step(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    pct, adj = _step_points(ind, np.array([x]))
    way = "整档" if not ind.step_linear else "按比例"
    bound = f"，上下限±{_N(ind.step_bound)}" if ind.step_bound is not None else ""
    word = "高" if x >= ind.target else "低"
    sign = "+" if adj[0] >= 0 else "−"
    return (
        f"阶梯：{_N(x)} 比目标值 {_N(ind.target)} {word} {_N(abs(x - ind.target) / abs(ind.target) * 100, 2)}%，"
        f"每{_N(ind.step)}%计1分（{way}{bound}），{_N(ind.points)}{sign}{_N(abs(adj[0]), 2)} = {fmt2(s)}"
    )


# --- 直接 -----------------------------------------------------------------------
def score_manual(ind: Indicator, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """The entered value is the score (its range 0..分值 is checked when data are read)."""
    return np.clip(x, 0.0, ind.points)


def _explain_manual(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    return f"直接：录入得分 {fmt2(s)}（满分 {_N(ind.points)}）"


SCORERS: Mapping[str, Scorer] = {
    "ratio": score_ratio,
    "efficacy": score_efficacy,
    "band": score_band,
    "linear": score_linear,
    "rank": score_rank,
    "deduct": score_deduct,
    "grade": score_grade,
    "pass": score_pass,
    "step": score_step,
    "manual": score_manual,
}

_EXPLAINERS = {
    "ratio": _explain_ratio,
    "efficacy": _explain_efficacy,
    "band": _explain_band,
    "linear": _explain_linear,
    "rank": _explain_rank,
    "deduct": _explain_deduct,
    "grade": _explain_grade,
    "pass": _explain_pass,
    "step": _explain_step,
    "manual": _explain_manual,
}


def explain(ind: Indicator, x: float, score: float, context: Mapping | None = None) -> str:
    """One unit's explanation of an indicator score computed from value ``x``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "未填报，计 0 分"
    return _EXPLAINERS[ind.method](ind, float(x), float(score), context or {})
