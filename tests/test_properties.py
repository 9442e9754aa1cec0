"""Invariants that must hold for any input (hypothesis)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from perf_excel.core.assess import competition_ranks
from perf_excel.core.build import parse_bands
from perf_excel.core.methods import METHODS
from perf_excel.core.model import Indicator

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
points = st.floats(min_value=0.5, max_value=100)
values = st.lists(finite, min_size=1, max_size=40)


def _standards(draw, positive: bool) -> tuple[float, ...]:
    base = draw(st.floats(min_value=-1000, max_value=1000))
    gaps = draw(st.lists(st.floats(min_value=0.01, max_value=100), min_size=4, max_size=4))
    levels = [base]
    for g in gaps:
        levels.append(levels[-1] - g)
    return tuple(levels if positive else [-v for v in levels])


@st.composite
def bounded_indicator(draw) -> Indicator:
    method = draw(st.sampled_from(["ratio", "efficacy", "band", "linear", "rank", "deduct", "pass", "manual"]))
    positive = draw(st.booleans())
    p = draw(points)
    kw: dict = {"positive": positive}
    if method in ("ratio", "pass"):
        kw["target"] = draw(st.floats(min_value=0.01, max_value=1e4))
    if method == "efficacy":
        kw["standards"] = _standards(draw, positive)
    if method == "band":
        kw["bands"] = parse_bands(">=95:1; >=90:0.8; >=80:0.6; else:0")
    if method == "linear":
        kw["floor"] = draw(st.floats(min_value=-100, max_value=100))
        kw["target"] = kw["floor"] + draw(st.sampled_from([-1, 1])) * draw(st.floats(min_value=0.1, max_value=100))
    if method == "rank":
        kw["step"] = draw(st.one_of(st.none(), st.floats(min_value=0, max_value=10)))
    if method == "deduct":
        kw["per_item"] = draw(st.floats(min_value=0.1, max_value=10))
    return Indicator("P", "性质", "D", p, method, **kw)


@settings(max_examples=300, deadline=None)
@given(bounded_indicator(), values)
def test_bounded_methods_stay_within_points(ind, xs):
    x = np.array(xs, dtype=float)
    if ind.method == "deduct":
        x = np.abs(x)
    if ind.method == "manual":
        x = np.clip(x, 0, ind.points)
    groups = np.array(["A"] * len(x), dtype=object)
    s = METHODS[ind.method].score(ind, x, groups)
    assert np.all(s >= 0)
    assert np.all(s <= ind.points * (1 + 1e-12))


@settings(max_examples=300, deadline=None)
@given(bounded_indicator(), values)
def test_positive_methods_are_monotonic(ind, xs):
    if ind.method in ("rank", "manual", "deduct") or not ind.positive:
        return
    if ind.method == "linear" and ind.target < ind.floor:
        return
    x = np.sort(np.array(xs, dtype=float))
    s = METHODS[ind.method].score(ind, x, np.array(["A"] * len(x), dtype=object))
    assert np.all(np.diff(s) >= -1e-9)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40)), min_size=1, max_size=30),
    st.randoms(use_true_random=False),
)
def test_ranks_are_permutation_invariant(rows, rnd):
    totals = np.array([t / 2 for _, t in rows], dtype=float)
    groups = np.array([f"C{g}" for g, _ in rows], dtype=object)
    ranks = competition_ranks([totals], groups)
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    ranks_p = competition_ranks([totals[perm]], groups[perm])
    assert ranks_p.tolist() == ranks[perm].tolist()
    # Independent definition: 1 + number of strictly better units of the same group.
    expected = [
        1 + sum(1 for j in range(len(rows)) if groups[j] == groups[i] and totals[j] > totals[i])
        for i in range(len(rows))
    ]
    assert ranks.tolist() == expected


def test_core_imports_no_file_excel_or_word_library():
    code = (
        "import sys, perf_excel, perf_excel.core.assess, perf_excel.core.build, perf_excel.core.methods, perf_excel.core.model;"
        "import perf_excel.core.weights, perf_excel.core.formula, perf_excel.core.anomalies, perf_excel.core.exante, perf_excel.core.dataset;"
        "bad = [m for m in ('openpyxl', 'docx', 'docxtpl', 'xlwings', 'python_calamine', 'jinja2', 'matplotlib')"
        " if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
