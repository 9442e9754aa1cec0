"""Two hand-built workbooks (scripts/make_engine_workbooks.py) scored end to end.

Every expected number below was worked out by hand from the scoring rules (README, "Scoring rules"); the
working is in the comments.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from perf_excel import assess, read_workbook

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def a():
    scheme, data, _ = read_workbook(DATA / "engine_a.xlsx")
    return assess(scheme, data)


@pytest.fixture(scope="module")
def b():
    scheme, data, _ = read_workbook(DATA / "engine_b.xlsx")
    return assess(scheme, data)


# engine_a, category 政府 (C5 ranks: G2 92 first -> 10; G1, G3 88 share 2nd -> 10 − 2 = 8):
# G1: C1 190/200×10 = 9.5; C2 良好档 16 + (17−15)/(20−15)×4 = 17.6; C3 96 -> 10; C4 (90−50)/50×10 = 8;
#     C5 8; C6 10 − 1×1.5 = 8.5; C7 优 10; C8 10; D1 9 -> 90.6; bonus 2.5 capped at 2 -> 92.60.
# G2: C1 capped 10; C2 平均档 12 + (12−10)/5×4 = 13.6, ×1.1 = 14.96; C3 不适用; C4 10; C5 10; C6 10;
#     C7 良 8; C8 0; D1 8.5 -> 71.46 × 100/90 = 79.4; penalty 4 capped at 3 -> 76.40.
# G3: 5 + 0 (C2 below 较差) + 6 + 0 + 8 + 4 + 4 + 10 + 0 (D1 blank) = 37; ×1.2 -> 44.40.
# Category 企业 (C5: E2, E3 75 share 1st -> 10; E1 70 third -> 6):
# E1: 10 + 20 (at 优秀值) + 8 + 5 + 6 + 7 + 8 (B) + 10 + D2 5 %/2 = 2 whole steps -> 12 = 86.00.
# E2: 7.5 + 8 (exactly 较低值: 0.4×20) + 10 + 10 + 10 + 10 + 10 + 10 + D2 −10 %/2 = −5, bound −3 -> 7 = 82.50.
# E3: 10 + 4 (exactly 较差值: 0.2×20) + 2 + 2 + 10 + 0 + 6 + 0 + D2 1 %/2 = 0.5 -> 0 steps -> 10 = 44.00.
A_EXPECTED = {
    "G1": (92.60, 1, "优秀", False),
    "G2": (76.40, 2, "合格", False),
    "G3": (44.40, 3, "不合格", False),
    "E1": (86.00, 1, "良好", False),
    "E2": (82.50, 2, "不合格", True),  # 否决效果 不合格: keeps its rank, graded 不合格
    "E3": (44.00, 3, "不合格", False),
}


@pytest.mark.parametrize(("unit", "expected"), A_EXPECTED.items())
def test_engine_a_totals_ranks_grades(a, unit, expected):
    row = a.table.loc[unit]
    assert (row["total"], int(row["rank"]), row["grade"], bool(row["vetoed"])) == expected


@pytest.mark.parametrize(
    ("unit", "code", "points"),
    [
        ("G1", "C2", 17.6),
        ("G2", "C2", 14.96),
        ("G1", "C5", 8.0),
        ("G2", "C5", 10.0),
        ("E1", "C5", 6.0),
        ("E1", "D2", 12.0),
        ("E2", "D2", 7.0),
        ("E3", "D2", 10.0),
        ("E3", "C2", 4.0),
        ("E2", "C2", 8.0),
        ("G3", "D1", 0.0),
    ],
)
def test_engine_a_indicator_scores(a, unit, code, points):
    assert a.scores.at[unit, code] == pytest.approx(points)


def test_engine_a_explanations(a):
    assert a.explain("G1", "C2") == "功效系数：良好档 16 + (17−15)/(20−15)×4 = 17.60"
    assert a.explain("G1", "C5") == "排名：类别内第2名，10−(2−1)×2 = 8.00"
    assert a.explain("E2", "D2") == "阶梯：90 比目标值 100 低 10%，每2%计1分（整档，上下限±3），10−3 = 7.00"
    assert a.explain("G1", "C7") == "定性：优 → 1×10 = 10.00"
    assert a.explain("G2", "C3") == "不适用，不计分（按适用指标分值折算）"
    assert a.total_explanation("G2") == (
        "指标得分合计 71.46；1项指标不适用，按 71.46×100/90 折算为 79.40；扣分 4（超过上限，计 3）；总分 76.40"
    )
    assert a.total_explanation("E2").endswith("一票否决（安全生产：较大事故），定为不合格")


def test_engine_a_blank_value_warning_names_the_cell(a):
    warnings = [str(w) for w in a.warnings]
    assert warnings == ["数据!J4：单位 “G3” 的指标 “D1”（第三方评估）未填报，计 0 分"]


# engine_b (one category 项目, grades 优/良/中/差, no quota):
# P01: P1 "95" -> 19; P2 reverse 50/40×20 = 25 capped 20; P3 reverse 良好档 8 + (3−4)/(2−4)×2 = 9;
#      P4 "85" -> ≥80: 0.75×20 = 15; P5 reverse (20−30)/(10−30)×10 = 5; P6 80/100×10 = 8; P7 B 0.85×10 = 8.5
#      = 84.5; bonus 3 + 3 (no cap) -> 90.50; vetoed (不得评优) -> 良.
# P02: P1 不适用; 50/60×20 = 16.6667; P3 12 worse than 较差 -> 0; 20; P5 better than target -> 10; 10; A 10
#      = 66.6667 × 100/80 = 83.3333 -> 83.33 良.
# P03: 20 + 20 + 10 + 0 + 0 (35 beyond 下限 30) + 5 + 5 (D) = 60; ×1.1 -> 66.00 中.
# P04: "１１０" capped 20; P2 0 -> best 20; P3 exactly 较差值 0.2×10 = 2; P4 70 -> 10; P5 10; P6 blank 0; C 7
#      = 69.00 中.
B_EXPECTED = {
    "P01": (90.50, 1, "良", True),
    "P02": (83.33, 2, "良", False),
    "P03": (66.00, 4, "中", False),
    "P04": (69.00, 3, "中", False),
}


@pytest.mark.parametrize(("unit", "expected"), B_EXPECTED.items())
def test_engine_b_totals_ranks_grades(b, unit, expected):
    row = b.table.loc[unit]
    assert (row["total"], int(row["rank"]), row["grade"], bool(row["vetoed"])) == expected


def test_engine_b_indicator_scores_and_explanations(b):
    assert b.scores.at["P01", "P3"] == pytest.approx(9.0)
    assert b.scores.at["P02", "P2"] == pytest.approx(50 / 60 * 20)
    assert b.scores.at["P01", "P7"] == pytest.approx(8.5)
    assert b.explain("P01", "P6") == "排名：80/100（类别内最高）×10 = 8.00"
    assert b.explain("P01", "P4") == "区间：85 属于 ≥80，20×0.75 = 15.00"
    assert b.explain("P04", "P2") == "完成比例（逆向）：实际值 0 ≤ 0，得最高分 20.00"
    assert b.total_explanation("P03") == "指标得分合计 60.00；×总分修正系数 1.1 = 66.00；总分 66.00"
