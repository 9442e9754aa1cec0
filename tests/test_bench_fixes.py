"""Tests for the performance fixes found by the benchmarks (docs/BENCHMARKS.md).

Results.explain looks positions up in cached dicts and arrays instead of pandas .at/get_loc
(letters and 计分明细 call it once per unit and indicator): the texts must not change, whatever
order the calls come in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perf_excel.core.assess import assess
from perf_excel.core.build import parse_bands
from perf_excel.core.dataset import Dataset
from perf_excel.core.model import Indicator, Scheme, Settings, Unit


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


# Expected texts written by hand from the scoring rules (README, "Scoring rules") (95/100×10 = 9.5; 120/100×10 = 12 capped at 10; …).
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


# -- writer: the wide 计分明细 (more than DETAIL_LONG_LIMIT rows) is spliced in as text --------------


def _wide_results():
    indicators = (
        Indicator("A", "完成率", "经济", 10.0, "ratio", target=3.0),
        Indicator("B", "仅县区", "民生", 5.0, "ratio", target=50.0, categories=("县区",)),
    )
    units = (Unit("U&1", "甲", "县区"), Unit("=1+1", "乙", "部门"), Unit("U<3>", "丙", "县区"))
    values = pd.DataFrame([[1.0, 40.0], [2.0, np.nan], [3.0, 25.0]], index=[u.code for u in units], columns=["A", "B"])
    na = pd.DataFrame(False, index=values.index, columns=values.columns)
    return assess(Scheme(Settings(), indicators, units), Dataset(values=values, not_applicable=na))


def test_wide_detail_sheet_holds_every_score(tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from perf_excel.xlsx import writer

    monkeypatch.setattr(writer, "DETAIL_LONG_LIMIT", 0)  # force the wide form on a small case
    out = writer.write_results(_wide_results(), tmp_path / "结果.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames[:2] == ["结果", "计分明细"]
    ws = wb["计分明细"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    # By hand: A = x/3×10 (1 → 3.333…, 2 → 6.666…, 3 → 10); B = x/50×5 for 县区 (40 → 4, 25 → 2.5), none for 部门.
    assert rows == [
        ["单位编码", "A", "B"],
        ["U&1", pytest.approx(10 / 3, abs=1e-12), 4.0],
        ["=1+1", pytest.approx(20 / 3, abs=1e-12), None],
        ["U<3>", 10.0, 2.5],
    ]
    assert ws["A3"].data_type == "s"  # a code that looks like a formula stays text
    assert ws.freeze_panes == "A2" and ws["A1"].font.b  # openpyxl's header and settings kept
    assert [[c.value for c in r][:3] for r in wb["结果"].iter_rows(max_row=2)][1] == ["U&1", "甲", "县区"]
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.rows"))


# -- safety: the farthest cell of each sheet, found with C-level max() ------------------------------


@pytest.mark.parametrize(
    "cells, extent",
    [
        (["A1"], (1, 1)),
        (["A1", "C5", "AB2"], (5, 28)),  # row from C5, column from AB2 (A=1 … Z=26, AA=27, AB=28)
        (["B3", "ZZ10", "AAA1"], (10, 703)),  # ZZ = 26×26+26 = 702, AAA = 703
    ],
)
def test_package_scan_finds_the_farthest_row_and_column(tmp_path, cells, extent):
    from openpyxl import Workbook

    from perf_excel.xlsx.safety import check_package

    wb = Workbook()
    for ref in cells:
        wb.active[ref] = 1
    wb.save(tmp_path / "x.xlsx")
    assert check_package(tmp_path / "x.xlsx").extents["xl/worksheets/sheet1.xml"] == extent


# -- anomalies: whether an indicator applies is decided per category, then spread to units -----------


def test_missing_value_warnings_follow_the_indicator_categories():
    from perf_excel.core.anomalies import find_anomalies

    indicators = (
        Indicator("A", "全部", "经济", 10.0, "ratio", target=100.0),
        Indicator("B", "仅县区", "民生", 5.0, "ratio", target=50.0, categories=("县区",)),
        Indicator("C", "仅部门", "民生", 5.0, "ratio", target=50.0, categories=("部门",)),
    )
    units = (Unit("U1", "甲", "县区"), Unit("U2", "乙", "部门"), Unit("U3", "丙", "县区"), Unit("U4", "丁", "企业"))
    blank = np.nan
    values = pd.DataFrame(
        [[blank, blank, blank], [90.0, blank, blank], [80.0, 40.0, blank], [blank, blank, 30.0]],
        index=[u.code for u in units],
        columns=["A", "B", "C"],
    )
    na = pd.DataFrame(False, index=values.index, columns=values.columns)
    anomalies, _ = find_anomalies(Scheme(Settings(), indicators, units), Dataset(values=values, not_applicable=na))
    missing = sorted((a.unit, a.indicator) for a in anomalies if a.kind == "缺失")
    # By hand: A applies to all (U1, U4 blank); B only to 县区 (U1 blank, U3 filled); C only to 部门 (U2 blank).
    assert missing == [("U1", "A"), ("U1", "B"), ("U2", "C"), ("U4", "A")]


def test_write_back_uses_the_wide_detail_sheet_beyond_the_limit(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from openpyxl import load_workbook

    from perf_excel.xlsx import writeback
    from perf_excel.xlsx.reader import read_workbook

    demo = Path(__file__).resolve().parents[1] / "workbooks" / "demo_city_2025.xlsx"
    path = tmp_path / "考核.xlsx"
    shutil.copy(demo, path)
    scheme, dataset, _ = read_workbook(path)
    results = assess(scheme, dataset)
    monkeypatch.setattr(writeback, "DETAIL_LONG_LIMIT", 0)
    writeback.write_back(results, path)
    rows = [[c.value for c in r] for r in load_workbook(path)["计分明细"].iter_rows()]
    codes = [i.code for i in scheme.indicators]
    assert rows[0] == ["单位编码", *codes]
    assert [r[0] for r in rows[1:]] == [u.code for u in scheme.units]
    for r in rows[1:]:
        expected = [None if np.isnan(v) else pytest.approx(v, abs=1e-12) for v in results.scores.loc[r[0], codes]]
        assert r[1:] == expected
