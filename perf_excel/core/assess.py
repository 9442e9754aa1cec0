"""The assessment: indicator scores, totals, ranks and grades of every unit, in one pass.

The order of computation is fixed (DESIGN.md) so that every clerk gets the same number:

1. each indicator's score (× its own correction coefficient, never above 分值); a blank
   value scores 0 with a warning; ``不适用`` drops the indicator;
2. if indicators were dropped, the sum is rescaled to the unit's full marks;
3. × the unit's total correction coefficient;
4. + bonus (capped) − penalty (capped); the total is not capped;
5. the total is rounded half up to 2 decimals; ranking and grading use the rounded total;
6. rank within the category, ties shared (1224), optional tie-breakers;
7. grades by threshold, with the 优秀 quota per category taken in rank order; a vetoed
   unit cannot take an 优秀 place and, with 否决效果 不合格, is graded 不合格.

Everything is vectorised over units; explanations are built on demand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import WARNING, InputError, Problem, quote
from perf_excel.core.methods import METHODS, explain, parameter_problems, rank_in_groups
from perf_excel.core.model import Indicator, Scheme, Settings
from perf_excel.core.numbers import fmt2, fmt_num, round_half_up_array

__all__ = ["Results", "assess", "competition_ranks", "excellent_quota", "assign_grades"]

# Status codes of an indicator for a unit.
SCORED, MISSING, DROPPED, NOT_FOR_CATEGORY = 0, 1, 2, 3


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


@dataclass(frozen=True)
class Results:
    """What :func:`assess` returns.

    ``scores`` (units × indicators) holds each indicator's points after its correction,
    NaN where it does not count (``不适用``, or not for the unit's category);
    ``status`` says which (0 scored, 1 missing → 0, 2 不适用, 3 not for the category);
    ``dimensions`` sums the scores per dimension (before rescaling); ``table`` has one
    row per unit with every step of the total; ``warnings`` the problems that did not
    stop the assessment.
    """

    scheme: Scheme
    data: Dataset
    scores: pd.DataFrame
    status: pd.DataFrame
    dimensions: pd.DataFrame
    table: pd.DataFrame
    warnings: tuple[Problem, ...] = ()
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def units(self) -> list[str]:
        return list(self.table.index)

    @cached_property
    def _indicators(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.scheme.indicators}

    def explain(self, unit: str, code: str) -> str:
        """The one-line Chinese explanation of ``unit``'s score on indicator ``code``."""
        ind = self._indicators[code]
        rows, status_cols, status_values, score_cols, score_values = self._positions()
        pos = rows[unit]
        status = int(status_values[pos, status_cols[code]])
        if status == NOT_FOR_CATEGORY:
            return "不适用于本类别"
        if status == DROPPED:
            return "不适用，不计分（按适用指标分值折算）"
        if status == MISSING:
            return "未填报，计 0 分"
        x = float(self._actual(ind)[pos])
        ctx = self._context(ind, unit)
        raw = float(self._raw_scores(ind)[pos])
        text = explain(ind, x, raw, ctx)
        final = float(score_values[pos, score_cols[code]])
        coef = self._indicator_coefficients().get((unit, code))
        if coef is not None:
            text += f"；×修正系数 {fmt_num(coef)} = {fmt2(final)}"
            if raw * coef > final + 1e-9:
                text += f"（不超过分值 {fmt_num(ind.points)}）"
        return text

    def explanations(self, unit: str) -> dict[str, str]:
        """Explanations of every indicator of ``unit`` that applies to its category."""
        row = self.status.loc[unit]
        return {code: self.explain(unit, code) for code in self.scores.columns if row[code] != NOT_FOR_CATEGORY}

    def total_explanation(self, unit: str) -> str:
        """How ``unit``'s total was built: rescaling, correction, bonus, penalty, veto."""
        r = self.table.loc[unit]
        parts = [f"指标得分合计 {fmt2(r['raw'])}"]
        if r["factor"] != 1:
            dropped = int((self.status.loc[unit] == DROPPED).sum())
            parts.append(
                f"{dropped}项指标不适用，按 {fmt2(r['raw'])}×{fmt_num(r['full_marks'])}/"
                f"{fmt_num(r['applicable_marks'])} 折算为 {fmt2(r['rescaled'])}"
            )
        if r["total_coefficient"] != 1:
            parts.append(f"×总分修正系数 {fmt_num(r['total_coefficient'])} = {fmt2(r['corrected'])}")
        for kind, key, cap_key in (("加分", "bonus_claimed", "bonus"), ("扣分", "penalty_claimed", "penalty")):
            claimed, counted = r[key], r[cap_key]
            if claimed:
                text = f"{kind} {fmt_num(claimed)}"
                if counted < claimed:
                    text += f"（超过上限，计 {fmt_num(counted)}）"
                parts.append(text)
        parts.append(f"总分 {fmt2(r['total'])}")
        if r["vetoed"]:
            effect = "定为不合格" if self.scheme.settings.veto_mode == "不合格" else "不得评优"
            parts.append(f"一票否决（{r['veto_text']}），{effect}")
        elif r["over_quota"]:
            parts.append(f"达到{self.scheme.settings.top_grade}分数线但超出本类别名额")
        return "；".join(parts)

    def to_records(self) -> list[dict]:
        """One JSON-ready dict per unit, in unit order (the ``--json`` output)."""
        records = []
        dims = self.dimensions
        for code, r in self.table.iterrows():
            ind_scores = self.scores.loc[code]
            status = self.status.loc[code]
            records.append(
                {
                    "unit": code,
                    "name": r["name"],
                    "category": r["category"],
                    "dimensions": {d: _num(dims.at[code, d]) for d in dims.columns if not np.isnan(dims.at[code, d])},
                    "bonus": _num(r["adjustment"]),
                    "bonus_added": _num(r["bonus"]),
                    "penalty": _num(r["penalty"]),
                    "raw": _num(r["raw"]),
                    "rescaled": bool(r["factor"] != 1),
                    "total_coefficient": _num(r["total_coefficient"]),
                    "total": _num(r["total"]),
                    "rank": int(r["rank"]),
                    "grade": r["grade"],
                    "vetoed": bool(r["vetoed"]),
                    "veto_reasons": list(r["veto_reasons"]),
                    "indicators": {
                        c: (None if status[c] in (DROPPED,) else _num(ind_scores[c]))
                        for c in self.scores.columns
                        if status[c] != NOT_FOR_CATEGORY
                    },
                    "explanation": self.total_explanation(code),
                }
            )
        return records

    # -- helpers for explanations ----------------------------------------------
    def _positions(self) -> tuple[dict, dict, np.ndarray, dict, np.ndarray]:
        # explain() runs once per unit and indicator (letters, 计分明细): pandas' .at and
        # get_loc cost ~10 µs a call, so look positions up in dicts and read plain arrays.
        key = "positions"
        if key not in self._cache:
            self._cache[key] = (
                {u: i for i, u in enumerate(self.table.index)},
                {c: j for j, c in enumerate(self.status.columns)},
                self.status.to_numpy(),
                {c: j for j, c in enumerate(self.scores.columns)},
                self.scores.to_numpy(dtype=float),
            )
        return self._cache[key]

    def _actual(self, ind: Indicator) -> np.ndarray:
        key = ("actual", ind.code)
        if key not in self._cache:
            self._cache[key] = self.data.values[ind.code].to_numpy(dtype=float)
        return self._cache[key]

    def _raw_scores(self, ind: Indicator) -> np.ndarray:
        key = ("raw", ind.code)
        if key not in self._cache:
            groups = self.table["category"].to_numpy(dtype=object)
            self._cache[key] = _score_indicator(ind, self._actual(ind), groups, self._applies(ind))
        return self._cache[key]

    def _applies(self, ind: Indicator) -> np.ndarray:
        st = self.status[ind.code].to_numpy()
        return st == SCORED

    def _indicator_coefficients(self) -> dict[tuple[str, str], float]:
        return {(c.unit, c.indicator): c.coefficient for c in self.scheme.corrections if c.indicator}

    def _context(self, ind: Indicator, unit: str) -> dict:
        ctx: dict[str, object] = {}
        pos = self.table.index.get_loc(unit)
        if ind.method == "grade":
            texts = self.data.texts.get(ind.code)
            ctx["text"] = texts.iloc[pos] if texts is not None else ""
        if ind.method == "rank":
            ranks, best = self._rank_context(ind)
            if ranks is not None:
                ctx["rank"] = ranks[pos]
            else:
                ctx["best"] = best[self.table["category"].iat[pos]]
        return ctx

    def _rank_context(self, ind: Indicator) -> tuple[np.ndarray | None, dict]:
        """Ranks (with 步长) or the best value per category, computed once per indicator: explain()
        runs per unit, and recomputing them per call made the 计分明细 sheet quadratic (issue 10)."""
        cache = self.__dict__.setdefault("_rank_cache", {})
        if ind.code not in cache:
            x = np.where(self._applies(ind), self._actual(ind), np.nan)
            groups = self.table["category"].to_numpy(dtype=object)
            if ind.step is not None:
                cache[ind.code] = (rank_in_groups(x, groups, ind.positive), {})
            else:
                best = {}
                for g in set(groups):
                    values = x[(groups == g) & ~np.isnan(x)]
                    if values.size:
                        best[g] = np.max(values) if ind.positive else np.min(values)
                cache[ind.code] = (None, best)
        return cache[ind.code]


def _num(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _score_indicator(ind: Indicator, x: np.ndarray, groups: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """Scores of units where ``counted`` (value present, indicator applies); 0 elsewhere."""
    xs = np.where(counted, x, np.nan)
    raw = METHODS[ind.method].score(ind, xs, groups)
    return np.where(counted, np.nan_to_num(raw, nan=0.0), 0.0)


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
    settings = scheme.settings
    units = scheme.units
    codes = [u.code for u in units]
    index = pd.Index(codes, dtype=object)
    groups = np.array([u.category for u in units], dtype=object)
    n, inds = len(units), scheme.indicators
    warnings: list[Problem] = []
    no_row = set(codes) - set(data.rows) if data.rows else set()

    values = data.values.reindex(index)
    na_frame = data.not_applicable.reindex(index, fill_value=False)
    scores = np.full((n, len(inds)), np.nan)
    status = np.full((n, len(inds)), SCORED, dtype=np.int8)
    points = np.array([i.points for i in inds], dtype=float)
    coef_by_ind: dict[str, dict[str, float]] = defaultdict(dict)
    total_coef = np.ones(n)
    unit_pos = {c: k for k, c in enumerate(codes)}
    for c in scheme.corrections:
        if c.unit not in unit_pos:
            continue
        if c.indicator:
            coef_by_ind[c.indicator][c.unit] = c.coefficient
        else:
            total_coef[unit_pos[c.unit]] *= c.coefficient

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
        s = _score_indicator(ind, x, groups, counted)
        if ind.code in coef_by_ind:
            coefs = np.array([coef_by_ind[ind.code].get(c, 1.0) for c in codes])
            s = np.where(coefs != 1.0, np.minimum(s * coefs, np.maximum(s, ind.points)), s)
        s = np.where(applies & ~na, s, np.nan)
        scores[:, j] = s
        status[:, j] = np.select([~applies, dropped, missing], [NOT_FOR_CATEGORY, DROPPED, MISSING], SCORED)
        for k in np.flatnonzero(missing):
            if codes[k] in no_row:
                continue
            cell = data.cell(codes[k], ind.code)
            warnings.append(
                Problem(
                    f"单位 {quote(codes[k])} 的指标 {quote(ind.code)}（{ind.name}）未填报，计 0 分",
                    data.sheet,
                    cell,
                    severity=WARNING,
                )
            )

    applicable = status != NOT_FOR_CATEGORY
    full_marks = (applicable * points).sum(axis=1)
    applicable_marks = ((status == SCORED) | (status == MISSING)) @ points
    raw = np.nansum(scores, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(applicable_marks > 0, full_marks / applicable_marks, 0.0)
    for k in np.flatnonzero(applicable_marks <= 0):
        warnings.append(Problem(f"单位 {quote(codes[k])} 没有任何适用指标，得分为 0", severity=WARNING))
    rescaled = raw * factor
    corrected = rescaled * total_coef

    bonus_claimed, penalty_claimed = np.zeros(n), np.zeros(n)
    for a in scheme.adjustments:
        if a.unit in unit_pos:
            (bonus_claimed if a.is_bonus else penalty_claimed)[unit_pos[a.unit]] += a.points
    bonus = bonus_claimed if settings.bonus_cap is None else np.minimum(bonus_claimed, settings.bonus_cap)
    penalty = penalty_claimed if settings.penalty_cap is None else np.minimum(penalty_claimed, settings.penalty_cap)
    unrounded = corrected + bonus - penalty
    total = round_half_up_array(unrounded, 2)

    veto_reasons: dict[str, list[str]] = defaultdict(list)
    for v in scheme.vetoes:
        veto_reasons[v.unit].append("：".join(p for p in (v.item, v.reason) if p) or "一票否决")
    vetoed = np.array([c in veto_reasons for c in codes], dtype=bool)

    score_frame = pd.DataFrame(scores, index=index, columns=[i.code for i in inds])
    dims = _dimension_sums(scheme, score_frame, status)
    keys = [total] + [_tie_key(name, dims, score_frame) for name in settings.tie_breakers]
    ranks = competition_ranks(keys, groups)
    grade, over_quota = assign_grades(total, ranks, groups, vetoed, settings)

    table = pd.DataFrame(
        {
            "name": [u.name for u in units],
            "category": groups,
            "raw": raw,
            "full_marks": full_marks,
            "applicable_marks": applicable_marks,
            "factor": factor,
            "rescaled": rescaled,
            "total_coefficient": total_coef,
            "corrected": corrected,
            "bonus_claimed": bonus_claimed,
            "penalty_claimed": penalty_claimed,
            "bonus": bonus,
            "penalty": penalty,
            "adjustment": bonus - penalty,
            "unrounded": unrounded,
            "total": total,
            "rank": ranks,
            "grade": grade,
            "vetoed": vetoed,
            "over_quota": over_quota,
            "veto_reasons": [tuple(veto_reasons.get(c, ())) for c in codes],
            "veto_text": ["；".join(veto_reasons.get(c, ())) for c in codes],
        },
        index=index,
    )
    status_frame = pd.DataFrame(status, index=index, columns=score_frame.columns)
    return Results(scheme, data, score_frame, status_frame, dims, table, tuple(warnings))


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
