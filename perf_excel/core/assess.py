"""The assessment: indicator scores, totals, ranks and grades of every unit, in one pass.

The order of computation is fixed (README, "Scoring rules") so that every clerk gets the
same number; :func:`assess` runs it as one named step each:

1. :func:`indicator_scores` — each indicator's score (× its own correction coefficient,
   never above 分值); a blank value scores 0 with a warning; ``不适用`` drops the indicator;
2. :func:`rescale` — if indicators were dropped, the sum is rescaled to the unit's full marks;
3. :func:`total_correction` — × the unit's total correction coefficient;
4. :func:`bonus_and_penalty` — + bonus (capped) − penalty (capped); the total is not capped;
5. the total is rounded half up to 2 decimals; ranking and grading use the rounded total;
6. :func:`competition_ranks` — rank within the category, ties shared (1224), optional tie-breakers;
7. :func:`assign_grades` — grades by threshold, with the 优秀 quota per category taken in rank
   order; a vetoed unit cannot take an 优秀 place and, with 否决效果 不合格, is graded 不合格.

Everything is vectorised over units; :class:`~perf_excel.core.results.Results` builds the
explanations on demand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple

import numpy as np
import pandas as pd

from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import WARNING, InputError, Problem, quote
from perf_excel.core.methods import parameter_problems, score_counted
from perf_excel.core.model import Scheme, Settings
from perf_excel.core.numbers import round_half_up_array
from perf_excel.core.results import DROPPED, MISSING, NOT_FOR_CATEGORY, SCORED, Results

__all__ = [
    "DROPPED",
    "MISSING",
    "NOT_FOR_CATEGORY",
    "SCORED",
    "Results",
    "assess",
    "assign_grades",
    "competition_ranks",
    "excellent_quota",
]


def competition_ranks(keys: list[np.ndarray], groups: np.ndarray) -> np.ndarray:
    """Ranks within each group, best (highest) first, ties shared the 1224 way.

    ``keys`` are compared lexicographically: the first is the total, the rest break ties.
    """
    n = len(groups)
    ranks = np.zeros(n, dtype=int)
    cleaned = [np.where(np.isnan(k), -np.inf, np.round(k, 9)) for k in keys]
    for g in pd.unique(groups):
        idx = np.flatnonzero(groups == g)
        sub = [k[idx] for k in cleaned]
        order = np.lexsort([-k for k in reversed(sub)])
        s = [k[order] for k in sub]
        new_run = np.ones(len(idx), dtype=bool)
        if len(idx) > 1:
            new_run[1:] = np.any([k[1:] != k[:-1] for k in s], axis=0)
        start = np.maximum.accumulate(np.where(new_run, np.arange(len(idx)), 0))
        ranks[idx[order]] = start + 1
    return ranks


def excellent_quota(settings: Settings, category: str, n_units: int) -> int | None:
    """How many 优秀 places a category of ``n_units`` units has; None means no limit.

    A ratio is applied with the rounding rule 比例取整; with both a ratio and a count,
    the smaller quota holds.
    """
    ratio = settings.ratio_by_category.get(category, settings.excellent_ratio)
    count = settings.count_by_category.get(category, settings.excellent_count)
    quotas = []
    if ratio is not None:
        # Round away binary noise first: 15 × 0.2 is 3.0000000000000004, not above 3.
        exact = round(n_units * ratio, 9)
        if settings.rounding == "向上":
            quotas.append(math.ceil(exact))
        elif settings.rounding == "四舍五入":
            quotas.append(math.floor(exact + 0.5))
        else:
            quotas.append(math.floor(exact))
    if count is not None:
        quotas.append(count)
    return min(quotas) if quotas else None


def assign_grades(
    totals: np.ndarray,
    ranks: np.ndarray,
    groups: np.ndarray,
    vetoed: np.ndarray,
    settings: Settings,
) -> tuple[np.ndarray, np.ndarray]:
    """Grades of every unit, and a flag for units kept from 优秀 by the quota.

    Units are taken in rank order within their category. A unit reaching the top
    threshold takes a top place while the quota has room; tied units on the quota
    boundary follow 并列处理 (不超额: none of them; 并列均入: all). A vetoed unit
    never takes a top place and, with 否决效果 不合格, gets the bottom grade.
    """
    grades_list = settings.grades
    top_name, top_thr = grades_list[0]
    rest = grades_list[1:]
    n = len(totals)
    over_quota = np.zeros(n, dtype=bool)
    # Below the top grade: the best grade whose threshold the total reaches.
    names = np.array([g for g, _ in rest] + [grades_list[-1][0]], dtype=object)
    reached = totals[:, None] >= np.array([t for _, t in rest] + [-np.inf])[None, :] - 1e-9
    grade = names[reached.argmax(axis=1)]
    for g in pd.unique(groups):
        idx = np.flatnonzero(groups == g)
        places = excellent_quota(settings, g, len(idx))
        idx = idx[np.argsort(ranks[idx], kind="stable")]
        eligible = idx[(totals[idx] >= top_thr - 1e-9) & ~vetoed[idx]]
        if places is None:
            grade[eligible] = top_name
            continue
        for r in pd.unique(ranks[eligible]):
            tied = eligible[ranks[eligible] == r]
            if len(tied) <= places or (settings.quota_ties == "并列均入" and places > 0):
                grade[tied] = top_name
                places = max(places - len(tied), 0)
            else:
                over_quota[tied] = True
                places = 0
    if settings.veto_mode == "不合格":
        grade[vetoed] = grades_list[-1][0]
    return grade, over_quota


class IndicatorScores(NamedTuple):
    """Step 1: units × indicators, in the scheme's order."""

    scores: np.ndarray  # points after the indicator's correction; NaN where it does not count
    status: np.ndarray  # SCORED, MISSING, DROPPED or NOT_FOR_CATEGORY
    warnings: list[Problem]  # one per indicator a unit left blank


def indicator_scores(scheme: Scheme, data: Dataset) -> IndicatorScores:
    """Step 1: each indicator's score of each unit, × its own correction, never above 分值."""
    units, inds = scheme.units, scheme.indicators
    codes = [u.code for u in units]
    index = pd.Index(codes, dtype=object)
    groups = np.array([u.category for u in units], dtype=object)
    n = len(units)
    no_row = set(codes) - set(data.rows) if data.rows else set()
    values = data.values.reindex(index)
    na_frame = data.not_applicable.reindex(index, fill_value=False)
    coef_by_ind: dict[str, dict[str, float]] = defaultdict(dict)
    for c in scheme.corrections:
        if c.indicator:
            coef_by_ind[c.indicator][c.unit] = c.coefficient
    scores = np.full((n, len(inds)), np.nan)
    status = np.full((n, len(inds)), SCORED, dtype=np.int8)
    warnings: list[Problem] = []
    for j, ind in enumerate(inds):
        applies = np.ones(n, dtype=bool) if not ind.categories else np.isin(groups, ind.categories)
        if ind.code in values.columns:
            x = values[ind.code].to_numpy(dtype=float)
            na = na_frame[ind.code].to_numpy(dtype=bool) if ind.code in na_frame.columns else np.zeros(n, bool)
        else:
            x, na = np.full(n, np.nan), np.zeros(n, dtype=bool)
        dropped = applies & na
        missing = applies & ~na & np.isnan(x)
        counted = applies & ~na & ~missing
        s = score_counted(ind, x, groups, counted)
        if ind.code in coef_by_ind:
            coefs = np.array([coef_by_ind[ind.code].get(c, 1.0) for c in codes])
            s = np.where(coefs != 1.0, np.minimum(s * coefs, np.maximum(s, ind.points)), s)
        scores[:, j] = np.where(applies & ~na, s, np.nan)
        status[:, j] = np.select([~applies, dropped, missing], [NOT_FOR_CATEGORY, DROPPED, MISSING], SCORED)
        for k in np.flatnonzero(missing):
            if codes[k] in no_row:
                continue
            warnings.append(
                Problem(
                    f"单位 {quote(codes[k])} 的指标 {quote(ind.code)}（{ind.name}）未填报，计 0 分",
                    data.sheet,
                    data.cell(codes[k], ind.code),
                    severity=WARNING,
                )
            )
    return IndicatorScores(scores, status, warnings)


class Rescaled(NamedTuple):
    """Step 2, per unit."""

    raw: np.ndarray  # Σ indicator scores
    full_marks: np.ndarray  # Σ 分值 of the indicators for the unit's category
    applicable_marks: np.ndarray  # the same without the dropped (不适用) ones
    factor: np.ndarray  # full_marks / applicable_marks (0 if nothing applies)
    rescaled: np.ndarray  # raw × factor


def rescale(scheme: Scheme, step1: IndicatorScores) -> tuple[Rescaled, list[Problem]]:
    """Step 2: Σ scores × Σ all 分值 / Σ applicable 分值, and a warning for a unit with nothing to score."""
    points = np.array([i.points for i in scheme.indicators], dtype=float)
    status = step1.status
    full_marks = ((status != NOT_FOR_CATEGORY) * points).sum(axis=1)
    applicable_marks = ((status == SCORED) | (status == MISSING)) @ points
    raw = np.nansum(step1.scores, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(applicable_marks > 0, full_marks / applicable_marks, 0.0)
    warnings = [
        Problem(f"单位 {quote(scheme.units[k].code)} 没有任何适用指标，得分为 0", severity=WARNING)
        for k in np.flatnonzero(applicable_marks <= 0)
    ]
    return Rescaled(raw, full_marks, applicable_marks, factor, raw * factor), warnings


def total_correction(scheme: Scheme) -> np.ndarray:
    """Step 3: each unit's total correction coefficient (the product of its rows in 修正; 1 if none)."""
    pos = {u.code: k for k, u in enumerate(scheme.units)}
    coefficient = np.ones(len(scheme.units))
    for c in scheme.corrections:
        if not c.indicator and c.unit in pos:
            coefficient[pos[c.unit]] *= c.coefficient
    return coefficient


class Adjustments(NamedTuple):
    """Step 4, per unit: what 加减分 claims and what the caps let count."""

    bonus_claimed: np.ndarray
    penalty_claimed: np.ndarray
    bonus: np.ndarray
    penalty: np.ndarray


def bonus_and_penalty(scheme: Scheme) -> Adjustments:
    """Step 4: each unit's bonus and penalty, each capped by 加分上限 / 扣分上限 when set."""
    pos = {u.code: k for k, u in enumerate(scheme.units)}
    n = len(scheme.units)
    bonus_claimed, penalty_claimed = np.zeros(n), np.zeros(n)
    for a in scheme.adjustments:
        if a.unit in pos:
            (bonus_claimed if a.is_bonus else penalty_claimed)[pos[a.unit]] += a.points
    settings = scheme.settings
    bonus = bonus_claimed if settings.bonus_cap is None else np.minimum(bonus_claimed, settings.bonus_cap)
    penalty = penalty_claimed if settings.penalty_cap is None else np.minimum(penalty_claimed, settings.penalty_cap)
    return Adjustments(bonus_claimed, penalty_claimed, bonus, penalty)


def veto_reasons(scheme: Scheme) -> dict[str, list[str]]:
    """Each vetoed unit's reasons (事项：事由), for the veto in step 7 and the explanations."""
    reasons: dict[str, list[str]] = defaultdict(list)
    for v in scheme.vetoes:
        reasons[v.unit].append("：".join(p for p in (v.item, v.reason) if p) or "一票否决")
    return reasons


def _check_parameters(scheme: Scheme) -> list[Problem]:
    """The methods' own parameter checks, for a hand-built scheme (a workbook's are checked when read)."""
    problems = []
    for ind in scheme.indicators:
        for column, message in parameter_problems(ind):
            sheet, _, ref = ind.cell(column).partition("!")
            problems.append(Problem(f"指标 {quote(ind.code)}：{message}", sheet if ref else "指标", ref))
    return problems


def assess(scheme: Scheme, data: Dataset | pd.DataFrame) -> Results:
    """Score, rank and grade every unit of ``scheme`` on ``data``.

    ``data`` is a :class:`Dataset` (from a workbook) or a DataFrame indexed by unit
    code with one column per indicator code (numbers, NaN for blank, ``不适用``).
    Raises :class:`InputError` listing every parameter problem before any scoring.
    """
    # The parameters first: the data are read with them (定性's table, 直接's 0–分值).
    problems = _check_parameters(scheme)
    if problems:
        raise InputError(problems)
    if isinstance(data, pd.DataFrame):
        from perf_excel.core.build import dataset_from_frame

        data = dataset_from_frame(scheme, data)
    data = _derive(scheme, data)
    settings, units = scheme.settings, scheme.units
    codes = [u.code for u in units]
    index = pd.Index(codes, dtype=object)
    groups = np.array([u.category for u in units], dtype=object)

    step1 = indicator_scores(scheme, data)
    step2, empty_units = rescale(scheme, step1)
    total_coef = total_correction(scheme)
    corrected = step2.rescaled * total_coef
    adj = bonus_and_penalty(scheme)
    unrounded = corrected + adj.bonus - adj.penalty
    total = round_half_up_array(unrounded, 2)

    score_frame = pd.DataFrame(step1.scores, index=index, columns=[i.code for i in scheme.indicators])
    dims = _dimension_sums(scheme, score_frame, step1.status)
    keys = [total] + [_tie_key(name, dims, score_frame) for name in settings.tie_breakers]
    ranks = competition_ranks(keys, groups)
    reasons = veto_reasons(scheme)
    vetoed = np.array([c in reasons for c in codes], dtype=bool)
    grade, over_quota = assign_grades(total, ranks, groups, vetoed, settings)

    table = pd.DataFrame(
        {
            "name": [u.name for u in units],
            "category": groups,
            **step2._asdict(),
            "total_coefficient": total_coef,
            "corrected": corrected,
            **adj._asdict(),
            "adjustment": adj.bonus - adj.penalty,
            "unrounded": unrounded,
            "total": total,
            "rank": ranks,
            "grade": grade,
            "vetoed": vetoed,
            "over_quota": over_quota,
            "veto_reasons": [tuple(reasons.get(c, ())) for c in codes],
            "veto_text": ["；".join(reasons.get(c, ())) for c in codes],
        },
        index=index,
    )
    status_frame = pd.DataFrame(step1.status, index=index, columns=score_frame.columns)
    warnings = (*step1.warnings, *empty_units)
    return Results(scheme, data, score_frame, status_frame, dims, table, warnings)


def _dimension_sums(scheme: Scheme, scores: pd.DataFrame, status: np.ndarray) -> pd.DataFrame:
    """Per unit and dimension, the sum of its indicator scores (NaN if none applies)."""
    out = {}
    counted = status != NOT_FOR_CATEGORY
    for dim in scheme.dimensions:
        cols = [j for j, i in enumerate(scheme.indicators) if i.dimension == dim]
        vals = scores.to_numpy()[:, cols]
        any_applies = counted[:, cols].any(axis=1)
        out[dim] = np.where(any_applies, np.nansum(vals, axis=1), np.nan)
    return pd.DataFrame(out, index=scores.index)


def _tie_key(name: str, dims: pd.DataFrame, scores: pd.DataFrame) -> np.ndarray:
    if name in dims.columns:
        return dims[name].to_numpy(dtype=float)
    return scores[name].to_numpy(dtype=float)


def _derive(scheme: Scheme, data: Dataset) -> Dataset:
    """Evaluate derived indicators (公式) into data columns before scoring."""
    derived = [i for i in scheme.indicators if i.formula and i.code not in data.values.columns]
    if not derived:
        return data
    from perf_excel.core.formula import derive_columns

    return derive_columns(derived, data, scheme.units)
