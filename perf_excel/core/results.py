"""What an assessment returns: the scores, statuses and totals of every unit, and why.

:class:`Results` holds the frames :func:`~perf_excel.core.assess.assess` computed and builds
the one-line Chinese explanations on demand (an appeal asks for one unit, a 计分明细 sheet
for all), caching what several explanations share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import Problem
from perf_excel.core.methods import explain, rank_in_groups, score_counted
from perf_excel.core.model import Indicator, Scheme
from perf_excel.core.numbers import fmt2, fmt_num

__all__ = ["DROPPED", "MISSING", "NOT_FOR_CATEGORY", "SCORED", "Results"]

# Status codes of an indicator for a unit.
SCORED, MISSING, DROPPED, NOT_FOR_CATEGORY = 0, 1, 2, 3


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
            self._cache[key] = score_counted(ind, self._actual(ind), groups, self._applies(ind))
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
        runs per unit, and recomputing them per call would make the 计分明细 sheet quadratic."""
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
