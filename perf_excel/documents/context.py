"""What the templates see: plain dicts and lists built from :class:`~perf_excel.core.assess.Results`.

Numbers stay numbers (the template formats them with the ``pts``/``signed`` filters); every
variable a built-in template uses is listed in :data:`CONTEXT_KEYS`, so that
``perf-excel templates check`` can flag the ones a user's template invents.

A context is plain data and nothing else (:func:`plain_context`): text, numbers, True/False,
None, lists, tuples and dicts, and :class:`~.parts.Picture` markers. A template is user input;
an object of the program in its context would hand it the object's methods.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from perf_excel.core.assess import DROPPED, MISSING, NOT_FOR_CATEGORY, Results
from perf_excel.core.numbers import fmt2, fmt_num
from perf_excel.documents.env import cn_date
from perf_excel.documents.parts import Picture
from perf_excel.xlsx.sanitize import XML_ILLEGAL

if TYPE_CHECKING:
    from perf_excel.core.anomalies import Anomaly

__all__ = [
    "CONTEXT_KEYS",
    "LetterContexts",
    "bulletin_context",
    "category_dimensions",
    "common_context",
    "letter_context",
    "plain_context",
]

_COMMON = ("title", "year", "issuer", "doc_number", "date", "recipients", "doc_title", "top_grade")

#: Top-level variables each kind of template gets.
CONTEXT_KEYS: dict[str, tuple[str, ...]] = {
    "bulletin": _COMMON
    + ("n_units", "average", "grades", "excellent_rule", "categories", "excellent", "vetoed", "notes", "dimensions")
    + ("anomalies", "anomaly_title"),
    "letter": _COMMON + ("unit", "dimensions", "indicators", "adjustment_lines", "weakest", "chart", "chart_note"),
    "yearbook": _COMMON + ("years", "intro", "tables"),
}


_SCALARS = frozenset({int, float, bool, type(None)})
_illegal = XML_ILLEGAL.search


def plain_context(value: Any) -> Any:
    """``value`` as plain data, safe to give a template and to write into a document.

    Dicts, lists and tuples are copied; text loses the characters XML cannot carry (a unit name
    read with ``_x0001_`` or a form feed in it would make the document unreadable — and Word
    cannot show them anyway); numpy numbers become Python numbers, dates their ISO text (what
    ``cn_date`` reads); :class:`~.parts.Picture` markers stay; anything else becomes its text.
    A value that is plain already (the usual case) is returned as it is, not copied.
    """
    if _is_plain(value):
        return value
    kind = type(value)
    if kind is str:
        return XML_ILLEGAL.sub("", value) if _illegal(value) else value
    if kind in _SCALARS or kind is Picture:
        return value
    if kind is dict:
        return _plain_dict(value)
    if kind is list:
        return _plain_list(value)
    if kind is tuple:
        return tuple(_plain_list(value))
    return _plain_other(value)


def _is_plain(value: Any) -> bool:
    """Whether ``value`` is plain data already: one walk, and one search of all its text at once
    (a bulletin of 100,000 units holds more than a million values; a search each costs seconds)."""
    texts: list[str] = []
    stack = [value]
    scalars = _SCALARS
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            texts.append(item)
        elif kind in scalars or kind is Picture:
            continue
        elif kind is dict:
            stack.extend(item)
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        else:
            return False
    return not _illegal("".join(texts))


def _plain_dict(value: dict) -> dict:
    # The bulletin of a province holds millions of values: the common types are tested inline.
    out = {}
    scalars = _SCALARS
    for k, v in value.items():
        if type(k) is not str or _illegal(k):
            k = plain_context(k)
        kind = type(v)
        if kind is str:
            if _illegal(v):
                v = XML_ILLEGAL.sub("", v)
        elif kind not in scalars:
            v = plain_context(v)
        out[k] = v
    return out


def _plain_list(value: list | tuple) -> list:
    out = list(value)
    scalars = _SCALARS
    for i, v in enumerate(out):
        kind = type(v)
        if kind is str:
            if _illegal(v):
                out[i] = XML_ILLEGAL.sub("", v)
        elif kind not in scalars:
            out[i] = plain_context(v)
    return out


def _plain_other(value: Any) -> Any:
    if isinstance(value, np.generic):
        return plain_context(value.item())
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, date):
        return value.isoformat(" ") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, (list, tuple)):
        return _plain_list(value)
    if isinstance(value, dict):
        return _plain_dict(dict(value))
    return plain_context(str(value))


def _f(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


def common_context(results: Results) -> dict[str, Any]:
    s = results.scheme.settings
    return {
        "title": s.title,
        "year": s.year,
        "issuer": s.issuer,
        "doc_number": s.doc_number,
        "date": s.date,
        "recipients": s.recipients,
        "top_grade": s.top_grade,
    }


def category_dimensions(results: Results, category: str) -> list[str]:
    """Dimensions with at least one indicator for ``category``, in 指标 order."""
    return [
        d
        for d in results.scheme.dimensions
        if any(i.dimension == d and i.applies_to(category) for i in results.scheme.indicators)
    ]


def _ordered(results: Results, category: str):
    t = results.table
    sub = t[t["category"] == category]
    return sub.sort_values("rank", kind="stable")


def _tied(sub) -> set:
    counts = sub["rank"].value_counts()
    return {int(r) for r, c in counts.items() if c > 1}


def _veto_effect(results: Results) -> str:
    s = results.scheme.settings
    return f"直接定为{s.bottom_grade}" if s.veto_mode == "不合格" else f"不得评为{s.top_grade}"


def _excellent_rule(results: Results) -> str:
    s = results.scheme.settings
    top, thr = s.grades[0]
    parts = [f"{top}等次须达到{fmt_num(thr)}分"]
    if s.excellent_ratio is not None:
        parts.append(f"且不超过本类别单位数的{fmt_num(s.excellent_ratio * 100)}%（{s.rounding}取整）")
    if s.excellent_count is not None:
        parts.append(f"且每类别不超过{s.excellent_count}个")
    return "".join(parts) + "。"


def bulletin_context(results: Results, anomalies: Sequence[Anomaly] | None = None) -> dict[str, Any]:
    """The context of the bulletin (通报); ``anomalies`` (数据异动预警) become its last attachment."""
    s = results.scheme.settings
    t = results.table
    grade_names = [g for g, _ in s.grades]
    ctx = common_context(results)
    title = s.title
    ctx["doc_title"] = title if title.endswith("通报") else f"关于{title}结果的通报"
    ctx["n_units"] = len(t)
    ctx["average"] = float(t["total"].mean()) if len(t) else None
    ctx["grades"] = [{"name": g, "count": int((t["grade"] == g).sum())} for g in grade_names]
    ctx["excellent_rule"] = _excellent_rule(results)
    ctx["dimensions"] = list(results.scheme.dimensions)
    # Whole columns as Python lists / numpy arrays, read once: cell by cell (``.at``, ``iterrows``)
    # is what made a bulletin of 100,000 units slow.
    dim_pos = {d: j for j, d in enumerate(results.dimensions.columns)}
    dim_values = results.dimensions.reindex(t.index).to_numpy(dtype=float)
    cat_col = t["category"].to_numpy(dtype=object)
    rank_col = t["rank"].to_numpy()
    caps = []
    if s.bonus_cap is not None:
        caps.append(f"加分上限{fmt_num(s.bonus_cap)}分")
    if s.penalty_cap is not None:
        caps.append(f"扣分上限{fmt_num(s.penalty_cap)}分")
    note = "各维度得分为指标得分之和（不适用指标折算前）；总分＝指标得分合计（折算、修正后）＋加分－扣分"
    note += (f"，{'，'.join(caps)}" if caps else "") + "；名次相同者并列，其后名次顺延。"
    categories = []
    ordered: dict[str, tuple[Any, list[int], set[int]]] = {}
    for cat in results.scheme.categories:
        members = np.flatnonzero(cat_col == cat)
        # Stable sort by rank of the category's rows in table order (as ``sort_values(kind="stable")``).
        rows = members[np.argsort(rank_col[members], kind="stable")].tolist()
        sub = t.iloc[rows]
        ranks = [int(r) for r in rank_col[rows]]
        tied = _tied(sub)
        ordered[cat] = (sub, ranks, tied)
        dims = category_dimensions(results, cat)
        block = dim_values[np.ix_(rows, [dim_pos[d] for d in dims])] if rows and dims else None
        codes = sub.index.tolist()
        names = sub["name"].tolist()
        grades = sub["grade"].tolist()
        vetoed_flags = sub["vetoed"].tolist()
        adjustment = sub["adjustment"].to_numpy(dtype=float).tolist()
        totals = sub["total"].to_numpy(dtype=float).tolist()
        units = []
        for k, code in enumerate(codes):
            rank = ranks[k]
            grade = grades[k]
            vetoed_k = bool(vetoed_flags[k])
            units.append(
                {
                    "code": code,
                    "name": names[k],
                    "rank": rank,
                    "tied": rank in tied,
                    "dims": [None if math.isnan(v) else v for v in block[k].tolist()] if block is not None else [],
                    "adjustment": adjustment[k],
                    "total": totals[k],
                    "grade": grade,
                    # A line break (docxtpl turns "\n" into <w:br/>) keeps the narrow column tidy.
                    "grade_label": f"{grade}\n（否决）" if vetoed_k else grade,
                    "vetoed": vetoed_k,
                }
            )
        categories.append(
            {
                "name": cat,
                "n": len(sub),
                "average": float(sub["total"].mean()),
                "max": float(sub["total"].max()),
                "min": float(sub["total"].min()),
                "dims": dims,
                "units": units,
                "grades": [{"name": g, "count": int((sub["grade"] == g).sum())} for g in grade_names],
                "excellent": [u["name"] for u in units if u["grade"] == s.top_grade],
                "attachment_title": f"{s.year}年度{cat}考核得分及排名表" if s.year else f"{cat}考核得分及排名表",
                "table_note": note,
            }
        )
    ctx["categories"] = categories
    ctx["excellent"] = [{"category": c["name"], "units": c["excellent"]} for c in categories]
    vetoed = []
    effect = _veto_effect(results)
    for cat in results.scheme.categories:
        sub, ranks, tied = ordered[cat]
        flags = sub["vetoed"].to_numpy(dtype=bool)
        if not flags.any():
            continue
        for k in np.flatnonzero(flags).tolist():
            r = sub.iloc[k]
            vetoed.append(
                {
                    "code": sub.index[k],
                    "name": r["name"],
                    "category": cat,
                    "reasons": list(r["veto_reasons"]),
                    "effect": effect,
                    "total": float(r["total"]),
                    "rank": ranks[k],
                    "tied": ranks[k] in tied,
                    "grade": r["grade"],
                }
            )
    ctx["vetoed"] = vetoed
    ctx["notes"] = _notes(results)
    ctx["anomaly_title"] = ANOMALY_TITLE
    ctx["anomalies"] = [_anomaly_row(a) for a in anomalies or ()]
    if ctx["anomalies"]:
        kinds = {}
        for a in ctx["anomalies"]:
            kinds[a["kind"]] = kinds.get(a["kind"], 0) + 1
        counts = "、".join(f"{k}{n}条" for k, n in kinds.items())
        ctx["notes"].append(
            {
                "heading": "关于数据异动预警",
                "lines": [
                    f"数据核查发现异动{len(ctx['anomalies'])}条（{counts}），详见附件{len(categories) + 1}。"
                    "预警仅提示核实数据，不影响考核得分。"
                ],
            }
        )
    return plain_context(ctx)


#: Title of the bulletin's last attachment (附件：数据异动预警).
ANOMALY_TITLE = "数据异动预警"


def _anomaly_row(a: Anomaly) -> dict[str, Any]:
    return {
        "unit": a.unit,
        "unit_name": a.unit_name,
        "indicator": a.indicator,
        "indicator_name": a.indicator_name,
        "kind": a.kind,
        "value": None if a.value is None else float(a.value),
        "comparison": a.comparison,
        "cell": f"{a.sheet}!{a.cell}" if a.sheet and a.cell else a.sheet,
    }


def _notes(results: Results) -> list[dict[str, Any]]:
    """How the rules changed totals this year: rescaled units, capped bonus, corrections, vetoes, quota."""
    t = results.table
    s = results.scheme.settings
    notes = []
    codes = t.index.tolist()
    names = t["name"].tolist()
    pos = {code: k for k, code in enumerate(codes)}

    def line(k: int) -> str:
        return f"{names[k]}：{results.total_explanation(codes[k])}。"

    def where(mask) -> list[int]:
        return np.flatnonzero(np.asarray(mask, dtype=bool)).tolist()

    rescaled = where(t["factor"].to_numpy() != 1)
    if rescaled:
        notes.append(
            {
                "heading": "关于不适用指标的折算",
                "lines": [
                    "指标不适用的单位，按“适用指标得分合计×全部指标分值÷适用指标分值”折算为百分制。",
                    *(line(k) for k in rescaled),
                ],
            }
        )
    bonus, bonus_claimed = t["bonus"].to_numpy(), t["bonus_claimed"].to_numpy()
    penalty, penalty_claimed = t["penalty"].to_numpy(), t["penalty_claimed"].to_numpy()
    capped = set(where((bonus < bonus_claimed) | (penalty < penalty_claimed)))
    adjusted = where((bonus_claimed != 0) | (penalty_claimed != 0))
    if adjusted:
        caps = []
        if s.bonus_cap is not None:
            caps.append(f"加分最多计{fmt_num(s.bonus_cap)}分")
        if s.penalty_cap is not None:
            caps.append(f"扣分最多计{fmt_num(s.penalty_cap)}分")
        lines = []
        if caps:
            lines.append("，".join(caps) + "。")
        by_unit: dict[str, list[str]] = {}
        for a in results.scheme.adjustments:
            text = f"{a.kind}{fmt_num(a.points)}分（{a.reason}）" if a.reason else f"{a.kind}{fmt_num(a.points)}分"
            by_unit.setdefault(a.unit, []).append(text)
        for k in adjusted:
            text = f"{names[k]}：{'、'.join(by_unit.get(codes[k], ()))}"
            if k in capped:
                text += f"；{results.total_explanation(codes[k])}"
            lines.append(text + "。")
        notes.append({"heading": "关于加减分", "lines": lines})
    if results.scheme.corrections:
        ind_names = {i.code: i.name for i in results.scheme.indicators}
        lines = []
        for corr in results.scheme.corrections:
            if corr.unit not in pos:
                continue
            target = f"指标“{ind_names.get(corr.indicator, corr.indicator)}”得分" if corr.indicator else "总分"
            reason = f"（{corr.reason}）" if corr.reason else ""
            lines.append(f"{names[pos[corr.unit]]}：{target}乘以修正系数{fmt_num(corr.coefficient)}{reason}。")
        if lines:
            notes.append({"heading": "关于动态修正", "lines": lines})
    vetoed = where(t["vetoed"].to_numpy())
    over = where(t["over_quota"].to_numpy())
    if vetoed or over:
        lines = [line(k) for k in vetoed]
        totals = t["total"].to_numpy()
        grades = t["grade"].tolist()
        for k in over:
            lines.append(
                f"{names[k]}：总分{fmt2(totals[k])}分，达到{s.top_grade}分数线，"
                f"但{s.top_grade}名额已满，评为{grades[k]}。"
            )
        notes.append({"heading": f"关于一票否决和{s.top_grade}名额", "lines": lines})
    return notes


class LetterContexts:
    """Builds letter contexts for many units, computing what units share (category averages,
    tables as plain arrays) once."""

    def __init__(self, results: Results) -> None:
        self.results = results
        s = results.scheme.settings
        t = results.table
        self.common = common_context(results)
        self.common["doc_title"] = f"{s.title}结果反馈单"
        self.pos = {code: k for k, code in enumerate(t.index)}
        self.cat = t["category"].to_numpy(dtype=object)
        self.rank = t["rank"].to_numpy(dtype=int)
        self.total = t["total"].to_numpy(dtype=float)
        self.status = results.status.to_numpy(dtype=int)
        self.scores = results.scores.to_numpy(dtype=float)
        self.dim_values = results.dimensions.to_numpy(dtype=float)
        self.dim_names = list(results.dimensions.columns)
        self.ind_pos = {c: j for j, c in enumerate(results.scores.columns)}
        self.by_cat: dict[str, dict[str, Any]] = {}
        for cat in results.scheme.categories:
            members = self.cat == cat
            dims = []
            for d in category_dimensions(results, cat):
                col = self.dim_values[members, self.dim_names.index(d)]
                avg = float(np.nanmean(col)) if np.isfinite(col).any() else None
                inds = [i for i in results.scheme.indicators if i.dimension == d and i.applies_to(cat)]
                dims.append((d, avg, inds))
            self.by_cat[cat] = {
                "n": int(members.sum()),
                "average": float(self.total[members].mean()),
                "dims": dims,
                "ranks": self.rank[members],
            }

    def context(self, unit: str, chart: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
        results = self.results
        k = self.pos[unit]
        r = results.table.iloc[k]
        cat = self.cat[k]
        info = self.by_cat[cat]
        ctx = dict(self.common)
        rank = int(self.rank[k])
        ctx["unit"] = {
            "code": unit,
            "name": r["name"],
            "category": cat,
            "total": float(self.total[k]),
            "rank": rank,
            "tied": int((info["ranks"] == rank).sum()) > 1,
            "n_in_category": info["n"],
            "grade": r["grade"],
            "vetoed": bool(r["vetoed"]),
            "category_average": info["average"],
            "explanation": results.total_explanation(unit),
        }
        status = self.status[k]
        dims = []
        for d, avg, inds in info["dims"]:
            full = sum(i.points for i in inds if status[self.ind_pos[i.code]] != DROPPED)
            score = self.dim_values[k, self.dim_names.index(d)]
            score = None if math.isnan(score) else float(score)
            diff = None if score is None or avg is None else score - avg
            dims.append({"name": d, "full": full, "score": score, "average": avg, "diff": diff})
        ctx["dimensions"] = dims
        indicators = []
        for ind in results.scheme.indicators:
            j = self.ind_pos[ind.code]
            st = int(status[j])
            if st == NOT_FOR_CATEGORY:
                continue
            score = self.scores[k, j]
            score = None if math.isnan(score) else float(score)
            if st == DROPPED:
                lost = None
            elif st == MISSING:
                lost = ind.points
            else:
                lost = max(ind.points - (score or 0.0), 0.0)
            indicators.append(
                {
                    "code": ind.code,
                    "name": ind.name,
                    "dimension": ind.dimension,
                    "points": ind.points,
                    "score": score,
                    "lost": lost,
                    "explanation": results.explain(unit, ind.code),
                }
            )
        ctx["indicators"] = indicators
        ctx["weakest"] = sorted(
            (i for i in indicators if i["lost"] is not None and i["lost"] >= 0.005), key=lambda i: -i["lost"]
        )[:3]
        ctx["adjustment_lines"] = _letter_lines(results, unit)
        ctx["chart_note"] = ""
        ctx = plain_context(ctx)
        picture = chart(ctx) if chart else None
        if picture is not None and type(picture) is not Picture:
            raise TypeError(f"chart() must return a Picture, not {type(picture).__name__}")
        ctx["chart"] = picture
        return ctx


def letter_context(
    results: Results,
    unit: str,
    chart: Callable[[dict[str, Any]], Any] | None = None,
) -> dict[str, Any]:
    """The context of one unit's feedback letter (反馈单).

    ``chart`` turns the context's ``dimensions`` into the picture object the template shows
    (``None``: no chart). For many letters, use :class:`LetterContexts` once.
    """
    return LetterContexts(results).context(unit, chart)


def _letter_lines(results: Results, unit: str) -> list[str]:
    s = results.scheme.settings
    r = results.table.loc[unit]
    names = {i.code: i.name for i in results.scheme.indicators}
    lines = []
    if r["factor"] != 1:
        dropped = [names[c] for c in results.scores.columns if int(results.status.at[unit, c]) == DROPPED]
        lines.append(
            f"不适用指标：{'、'.join(dropped)}，按适用指标分值折算："
            f"{fmt2(r['raw'])}×{fmt_num(r['full_marks'])}÷{fmt_num(r['applicable_marks'])}＝{fmt2(r['rescaled'])}分。"
        )
    for a in results.scheme.adjustments:
        if a.unit == unit:
            lines.append(f"{a.kind}：{a.reason or '（未填事由）'}，{fmt_num(a.points)}分。")
    for kind, claimed_key, counted_key, cap in (
        ("加分", "bonus_claimed", "bonus", s.bonus_cap),
        ("扣分", "penalty_claimed", "penalty", s.penalty_cap),
    ):
        if r[counted_key] < r[claimed_key]:
            lines.append(
                f"{kind}合计{fmt_num(r[claimed_key])}分，超过{kind}上限{fmt_num(cap)}分，按{fmt_num(r[counted_key])}分计入。"
            )
    for c in results.scheme.corrections:
        if c.unit == unit:
            target = f"指标“{names.get(c.indicator, c.indicator)}”得分" if c.indicator else "总分"
            reason = f"（{c.reason}）" if c.reason else ""
            lines.append(f"动态修正：{target}乘以修正系数{fmt_num(c.coefficient)}{reason}。")
    for v in results.scheme.vetoes:
        if v.unit == unit:
            what = "：".join(x for x in (v.item, v.reason) if x) or "一票否决"
            lines.append(f"一票否决：{what}，{_veto_effect(results)}。")
    if r["over_quota"]:
        lines.append(f"总分达到{s.top_grade}分数线，但本类别{s.top_grade}名额已满，评为{r['grade']}。")
    return lines


def letter_date(results: Results) -> str:
    return cn_date(results.scheme.settings.date)
