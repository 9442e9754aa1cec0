"""区间 (``band``): the first clause of ``>=95:1; >=90:0.8; else:0`` the value meets gives the fraction."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np

from perf_excel.core.errors import quote
from perf_excel.core.methods._common import CLAUSES, N
from perf_excel.core.methods.base import Method, Param
from perf_excel.core.model import Band, Indicator
from perf_excel.core.numbers import fmt2, parse_number

_BAND_CLAUSE = re.compile(
    r"^\s*(?:(?P<else>else|其他|其它|否则)|(?P<op>>=|<=|≥|≤|＞＝|＜＝|>|<|＞|＜|=|＝)\s*(?P<t>[^:：]+?))"
    r"\s*[:：]\s*(?P<f>.+?)\s*$",
    re.IGNORECASE,
)
_OPS = {"≥": ">=", "≤": "<=", "＞＝": ">=", "＜＝": "<=", "＞": ">", "＜": "<", "＝": "="}
_SHAPE = "应形如 >=95:1; >=90:0.8; else:0"


def parse_bands(text: str) -> tuple[Band, ...]:
    """Parse ``>=95:1; >=90:0.8; else:0`` (full-width punctuation, ≥ and 80% accepted).

    Raises ValueError with a Chinese reason naming the clause that does not parse.
    """
    clauses = [c for c in CLAUSES.split(text) if c.strip()]
    if not clauses:
        raise ValueError("区间为空")
    bands = []
    for clause in clauses:
        m = _BAND_CLAUSE.match(clause)
        if not m:
            raise ValueError(f"无法识别 {quote(clause.strip())}（{_SHAPE}）")
        frac = parse_number(m["f"])
        if frac is None or frac < 0:
            raise ValueError(f"{quote(clause.strip())} 的得分比例 {quote(m['f'])} 不是有效数字")
        if m["else"]:
            bands.append(Band("else", math.nan, frac))
            continue
        thr = parse_number(m["t"])
        if thr is None:
            raise ValueError(f"{quote(clause.strip())} 的界值 {quote(m['t'])} 不是有效数字")
        bands.append(Band(_OPS.get(m["op"], m["op"]), thr, frac))
    return tuple(bands)


def _parse_column(text: str) -> tuple[Band, ...]:
    """The 区间 column of a 区间 indicator; the message names the whole text and the clause."""
    try:
        return parse_bands(text)
    except ValueError as exc:
        raise ValueError(f"区间 {quote(text)}：{exc}") from None


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


def explain_band(ind: Indicator, x: float, s: float, ctx: Mapping) -> str:
    i = match_band_scalar(ind.bands, x)
    if i < 0:
        return f"区间：{N(x)} 不满足任何区间，得 0.00"
    b = ind.bands[i]
    cond = "其他情况" if b.op == "else" else f"{_OP_TEXT[b.op]}{N(b.threshold)}"
    return f"区间：{N(x)} 属于 {cond}，{N(ind.points)}×{N(b.fraction)} = {fmt2(s)}"


METHOD = Method(
    key="band",
    name="区间",
    score=score_band,
    explain=explain_band,
    params=(
        Param("区间", "bands", required=True, parse=_parse_column, missing=f"区间计分缺少区间（{_SHAPE}）"),
        Param("区间", "band_text", parse=str),
    ),
    parameters="区间，如 >=95:1; >=90:0.8; >=80:0.6; else:0",
    rule="取实际值满足的第一条，得 分值×比例；都不满足得 0",
    example="区间 >=95:1; >=90:0.8; else:0，实际 92，分值 10 → 8.00",
)
