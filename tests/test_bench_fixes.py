"""Tests for the performance fixes found by the benchmarks (issue 9).

Results.explain looks positions up in cached dicts and arrays instead of pandas .at/get_loc
(letters and 计分明细 call it once per unit and indicator): the texts must not change, whatever
order the calls come in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perf_excel.assess import assess
from perf_excel.build import parse_bands
from perf_excel.dataset import Dataset
from perf_excel.model import Indicator, Scheme, Settings, Unit


def _results():
    indicators = (
        Indicator("A", "完成率", "经济", 10.0, "ratio", target=100.0),
        Indicator("B", "达标", "经济", 10.0, "band", bands=parse_bands(">=90:1; >=80:0.6; else:0")),
        Indicator("C", "仅县区", "民生", 5.0, "ratio", target=50.0, categories=("县区",)),
    )
    units = (Unit("U1", "甲", "县区"), Unit("U2", "乙", "部门"), Unit("U3", "丙", "县区"))
    values = pd.DataFrame(
        [[95.0, 85.0, 40.0], [120.0, np.nan, np.nan], [np.nan, 92.0, 60.0]],
        index=["U1", "U2", "U3"],
        columns=["A", "B", "C"],
    )
    na = pd.DataFrame(False, index=values.index, columns=values.columns)
    return assess(Scheme(Settings(), indicators, units), Dataset(values=values, not_applicable=na))


# Expected texts written by hand from DESIGN.md's rules (95/100×10 = 9.5; 120/100×10 = 12 capped at 10; …).
EXPECTED = [
    ("U1", "A", "完成比例：95/100×10 = 9.50"),
    ("U1", "B", "区间：85 属于 ≥80，10×0.6 = 6.00"),
    ("U1", "C", "完成比例：40/50×5 = 4.00"),
    ("U2", "A", "完成比例：120/100×10 = 12.00，封顶 10.00"),
    ("U2", "B", "未填报，计 0 分"),
    ("U2", "C", "不适用于本类别"),
    ("U3", "A", "未填报，计 0 分"),
    ("U3", "B", "区间：92 属于 ≥90，10×1 = 10.00"),
    ("U3", "C", "完成比例：60/50×5 = 6.00，封顶 5.00"),
]


@pytest.mark.parametrize("unit, code, text", EXPECTED)
def test_explain_texts(unit, code, text):
    assert _results().explain(unit, code) == text


@pytest.mark.parametrize("order", [EXPECTED, EXPECTED[::-1], sorted(EXPECTED, key=lambda e: e[1])])
def test_explain_in_bulk_any_order(order):
    results = _results()  # one Results, its cache filled by the first call
    assert [results.explain(u, c) for u, c, _ in order] == [t for _, _, t in order]
