"""The scoring methods: one module per method, and the registry that looks them up.

Each module (``ratio``, ``efficacy``, ``band``, ``linear``, ``rank``, ``deduct``, ``grade``,
``pass_``, ``step``, ``manual``) holds everything about its method — workbook name, the
指标 columns it reads and their one check, the vectorised score, the explanation and the
catalogue text — in one :class:`~perf_excel.core.methods.base.Method`. The workbook
reader, ``assess`` for hand-built schemes, the Excel functions and the blank workbook all
ask this registry, so a method is added or changed in one place.

``METHODS[key].score(ind, x, groups)`` takes an indicator, the actual values of every unit
the indicator applies to (a float array; NaN where missing) and, for relative methods,
the group (category) of each unit; it returns the points of each unit. Missing values are
set to 0 by the caller, so methods may return anything for NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from perf_excel.core.errors import quote
from perf_excel.core.methods import band, deduct, efficacy, grade, linear, manual, pass_, rank, ratio, step
from perf_excel.core.methods.band import match_band, match_band_scalar, parse_bands
from perf_excel.core.methods.base import Method, Param, ParamProblem, points_problem
from perf_excel.core.methods.grade import grade_fraction, parse_grade_table
from perf_excel.core.methods.rank import rank_in_groups

if TYPE_CHECKING:
    from perf_excel.core.model import Indicator

__all__ = [
    "METHODS",
    "WORKBOOK_NAMES",
    "Method",
    "Param",
    "ParamProblem",
    "explain",
    "grade_fraction",
    "lookup",
    "match_band",
    "match_band_scalar",
    "method_name",
    "parameter_problems",
    "parse_bands",
    "parse_grade_table",
    "points_problem",
    "rank_in_groups",
    "score_counted",
    "unknown_method_message",
]

#: Internal key -> method, in the order of the catalogue (说明 sheet, drop-down list, README).
METHODS: Mapping[str, Method] = MappingProxyType(
    {m.METHOD.key: m.METHOD for m in (ratio, efficacy, band, linear, rank, deduct, grade, pass_, step, manual)}
)

#: The names a clerk picks in 指标.计分方法, in catalogue order.
WORKBOOK_NAMES: tuple[str, ...] = tuple(m.name for m in METHODS.values())

#: Every accepted spelling (workbook name, internal key, English alias) -> method.
_BY_SPELLING: Mapping[str, Method] = MappingProxyType(
    {spelling: m for m in METHODS.values() for spelling in (m.name, m.key, *m.aliases)}
)


def lookup(text: str) -> Method | None:
    """The method a 计分方法 cell names (``功效系数``, ``efficacy``, ``Efficacy``); None if none."""
    text = str(text).strip()
    return _BY_SPELLING.get(text) or _BY_SPELLING.get(text.lower())


def method_name(key: str) -> str:
    """The workbook name of an internal key (``ratio`` → ``完成比例``); the key itself if unknown."""
    m = METHODS.get(key)
    return m.name if m else key


def unknown_method_message(text: str, hint: str = "") -> str:
    """The problem of a 计分方法 that names no method; ``hint`` is a did-you-mean (``，是否应为 “X”？``)."""
    return f"计分方法 {quote(text)} 无效{hint}（可选：{'、'.join(WORKBOOK_NAMES)}）"


def parameter_problems(
    ind: Indicator, raw: Mapping[str, object] | None = None, skip: tuple[str, ...] | set[str] = ()
) -> list[ParamProblem]:
    """Every problem of an indicator's 分值, 计分方法 and method parameters — the one check.

    The workbook reader passes the typed cells (``raw``, by column) and the columns it has
    already reported (``skip``); a scheme built in Python is checked from its fields.
    """
    out = []
    if "分值" not in skip:
        bad_points = points_problem(ind.points, (raw or {}).get("分值"))
        if bad_points:
            out.append(ParamProblem("分值", bad_points))
    m = METHODS.get(ind.method)
    if m is None:
        out.append(ParamProblem("计分方法", unknown_method_message(ind.method)))
        return out
    return out + m.problems(ind, raw, skip)


def explain(ind: Indicator, x: float, score: float, context: Mapping | None = None) -> str:
    """One unit's explanation of an indicator score computed from value ``x``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "未填报，计 0 分"
    return METHODS[ind.method].explain(ind, float(x), float(score), context or {})


def score_counted(ind: Indicator, x: np.ndarray, groups: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """Scores of the units where ``counted`` (value present, indicator applies); 0 elsewhere.

    Relative methods (排名) compare only the counted units: the others are NaN to the method.
    """
    xs = np.where(counted, x, np.nan)
    raw = METHODS[ind.method].score(ind, xs, groups)
    return np.where(counted, np.nan_to_num(raw, nan=0.0), 0.0)
