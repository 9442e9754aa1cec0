"""The order of computation, ranking and grading, against hand-computed totals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from perf_excel import InputError, assess
from perf_excel.core.assess import assign_grades, competition_ranks, excellent_quota
from perf_excel.core.model import Adjustment, Correction, Indicator, Scheme, Settings, Unit, Veto

NA = "不适用"


def manual(code: str, points: float, dim: str = "D1", **kw) -> Indicator:
    return Indicator(code=code, name=f"指标{code}", dimension=dim, points=points, method="manual", **kw)


def ratio(code: str, points: float, target: float, dim: str = "D2", **kw) -> Indicator:
    return Indicator(code=code, name=f"指标{code}", dimension=dim, points=points, method="ratio", target=target, **kw)


def units(*specs: tuple[str, str]) -> tuple[Unit, ...]:
    return tuple(Unit(code, f"单位{code}", cat) for code, cat in specs)


# --- the fixed order of computation ------------------------------------------------
ORDER_SCHEME = Scheme(
    settings=Settings(bonus_cap=3, penalty_cap=5),
    indicators=(manual("M1", 40), manual("M2", 30, "D2"), ratio("R1", 30, 100)),
    units=units(("U1", "A"), ("U2", "A"), ("U3", "A"), ("U4", "A")),
    adjustments=(
        Adjustment("U1", "加分", 2.5),
        Adjustment("U1", "加分", 1.5),
        Adjustment("U1", "扣分", 6),
        Adjustment("U3", "扣分", 1.25),
    ),
    corrections=(
        Correction("U1", "", 1.05),
        Correction("U2", "R1", 1.2),
        Correction("U2", "M2", 1.1),
    ),
)
ORDER_DATA = pd.DataFrame(
    {
        "M1": [36, 30, np.nan, 39.995],
        "M2": [NA, 25, 20, 30],
        "R1": [90, 110, 50, 200],
    },
    index=["U1", "U2", "U3", "U4"],
)


@pytest.fixture(scope="module")
def order_results():
    return assess(ORDER_SCHEME, ORDER_DATA)


def test_rescale_correction_and_capped_adjustments(order_results):
    t = order_results.table
    # U1: 36 + 27 (90/100×30) = 63 over applicable 70 of 100 -> 90; ×1.05 -> 94.5;
    # bonus 4 capped at 3, penalty 6 capped at 5 -> 92.5.
    assert t.at["U1", "raw"] == pytest.approx(63)
    assert t.at["U1", "rescaled"] == pytest.approx(90)
    assert t.at["U1", "corrected"] == pytest.approx(94.5)
    assert (t.at["U1", "bonus"], t.at["U1", "penalty"]) == (3, 5)
    assert t.at["U1", "total"] == 92.5
    # U2: R1 110/100×30 capped at 30, ×1.2 stays 30 (never above 分值); M2 25×1.1 = 27.5.
    assert order_results.scores.at["U2", "R1"] == pytest.approx(30)
    assert order_results.scores.at["U2", "M2"] == pytest.approx(27.5)
    assert t.at["U2", "total"] == 87.5
    # U3: M1 blank scores 0 (warning); 20 + 15 = 35; penalty 1.25 -> 33.75.
    assert t.at["U3", "total"] == 33.75
    # U4: 39.995 + 30 + 30 = 99.995, rounded half up -> 100.00 (not banker's 99.99 or 100.0 by noise).
    assert t.at["U4", "total"] == 100.0


def test_blank_value_warns_with_unit_and_indicator(order_results):
    texts = [w.message for w in order_results.warnings]
    assert any("U3" in m and "M1" in m and "未填报" in m for m in texts)


def test_dimensions_and_json_fields(order_results):
    rec = {r["unit"]: r for r in order_results.to_records()}
    assert rec["U1"]["dimensions"] == pytest.approx({"D1": 36.0, "D2": 27.0})
    assert rec["U1"]["indicators"]["M2"] is None
    assert rec["U1"]["bonus"] == pytest.approx(-2)  # +3 − 5
    assert rec["U1"]["rescaled"] is True
    assert rec["U4"]["rank"] == 1 and rec["U1"]["rank"] == 2
    assert {"unit", "name", "category", "dimensions", "bonus", "total", "rank", "grade", "vetoed", "indicators"} <= set(
        rec["U1"]
    )


def test_total_explanation(order_results):
    assert order_results.total_explanation("U1") == (
        "指标得分合计 63.00；1项指标不适用，按 63.00×100/70 折算为 90.00；×总分修正系数 1.05 = 94.50；"
        "加分 4（超过上限，计 3）；扣分 6（超过上限，计 5）；总分 92.50"
    )


def test_indicator_explanations(order_results):
    assert order_results.explain("U1", "M2") == "不适用，不计分（按适用指标分值折算）"
    assert order_results.explain("U3", "M1") == "未填报，计 0 分"
    assert order_results.explain("U1", "R1") == "完成比例：90/100×30 = 27.00"
    assert order_results.explain("U2", "M2") == "直接：录入得分 25.00（满分 30）；×修正系数 1.1 = 27.50"
    assert order_results.explain("U2", "R1") == (
        "完成比例：110/100×30 = 33.00，封顶 30.00；×修正系数 1.2 = 30.00（不超过分值 30）"
    )


# --- ranking -----------------------------------------------------------------------
def test_ranks_design_reference():
    totals = np.array([92.5, 88, 92.5, 75, 88, 60])
    ranks = competition_ranks([totals], np.array(["A"] * 6, dtype=object))
    assert ranks.tolist() == [1, 3, 1, 5, 3, 6]


def test_ranks_are_within_category():
    totals = np.array([90, 80, 95, 70])
    groups = np.array(["A", "B", "A", "B"], dtype=object)
    assert competition_ranks([totals], groups).tolist() == [2, 1, 1, 2]


def test_tie_breaker_separates_equal_totals():
    totals = np.array([88.0, 88.0, 88.0, 70.0])
    breaker = np.array([30.0, 35.0, 30.0, 40.0])
    ranks = competition_ranks([totals, breaker], np.array(["A"] * 4, dtype=object))
    assert ranks.tolist() == [2, 1, 2, 4]


def test_tie_breaker_named_in_settings():
    scheme = Scheme(
        settings=Settings(tie_breakers=("D2",)),
        indicators=(manual("M1", 50), manual("M2", 50, "D2")),
        units=units(("U1", "A"), ("U2", "A"), ("U3", "A")),
    )
    data = pd.DataFrame({"M1": [40, 45, 40], "M2": [45, 40, 45]}, index=["U1", "U2", "U3"])
    r = assess(scheme, data)
    # All total 85; U1 and U3 have 45 in D2, U2 has 40.
    assert r.table["rank"].tolist() == [1, 3, 1]


# --- quotas and grades ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "ratio", "rounding", "expected"),
    [
        (10, 0.2, "向下", 2),
        (12, 0.2, "向下", 2),  # 2.4
        (12, 0.2, "四舍五入", 2),
        (12, 0.2, "向上", 3),
        (13, 0.2, "向下", 2),  # 2.6
        (13, 0.2, "四舍五入", 3),
        (13, 0.2, "向上", 3),
        (15, 0.2, "向上", 3),  # 15 × 0.2 is 3.0000000000000004 in binary: still 3
        (5, 0.5, "四舍五入", 3),  # 2.5 rounds half up
        (7, 0.3, "四舍五入", 2),  # 2.1
    ],
)
def test_quota_rounding(n, ratio, rounding, expected):
    assert excellent_quota(Settings(excellent_ratio=ratio, rounding=rounding), "A", n) == expected


def test_quota_count_and_per_category():
    s = Settings(excellent_ratio=0.2, count_by_category={"B": 1}, excellent_count=6)
    assert excellent_quota(s, "A", 50) == 6  # min(10, 6)
    assert excellent_quota(s, "B", 50) == 1
    assert excellent_quota(Settings(), "A", 50) is None


TEN = np.array([95, 93, 91, 89, 85, 70, 65, 50, 40, 30], dtype=float)


def grades(totals, vetoed=(), **kw):
    totals = np.asarray(totals, dtype=float)
    groups = np.array(["A"] * len(totals), dtype=object)
    ranks = competition_ranks([totals], groups)
    veto = np.zeros(len(totals), dtype=bool)
    veto[list(vetoed)] = True
    settings = Settings(**({"excellent_ratio": 0.2} | kw))
    return assign_grades(totals, ranks, groups, veto, settings)[0].tolist()


def test_quota_pushes_third_unit_to_next_grade():
    assert grades(TEN) == ["优秀", "优秀", "良好", "良好", "良好", "合格", "合格", "不合格", "不合格", "不合格"]


def test_vetoed_unit_keeps_rank_but_gives_up_its_place():
    got = grades(TEN, vetoed=[0])
    assert got[:4] == ["良好", "优秀", "优秀", "良好"]


def test_veto_mode_fail():
    got = grades(TEN, vetoed=[0], veto_mode="不合格")
    assert got[:4] == ["不合格", "优秀", "优秀", "良好"]


def test_vetoed_low_unit_in_fail_mode_is_failing_too():
    assert grades(TEN, vetoed=[5], veto_mode="不合格")[5] == "不合格"


def test_threshold_and_quota_both_needed():
    # Quota 2 but only one unit reaches 90.
    assert grades([92, 89.99, 85, 60, 59.99, 10, 0, 0, 0, 0])[:5] == ["优秀", "良好", "良好", "合格", "不合格"]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("不超额", ["优秀", "良好", "良好", "良好"]), ("并列均入", ["优秀", "优秀", "优秀", "良好"])],
)
def test_tie_on_quota_boundary(policy, expected):
    totals = [95, 92, 92, 85, 70, 60, 50, 40, 30, 20]
    assert grades(totals, quota_ties=policy)[:4] == expected


def test_no_quota_means_threshold_only():
    assert grades([99, 98, 97, 60], excellent_ratio=None) == ["优秀", "优秀", "优秀", "合格"]


def test_custom_grade_names_and_budget_scale():
    s = {"grades": (("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", 0.0)), "excellent_ratio": None}
    assert grades([90, 89.99, 80, 79.99, 60, 59.99], **s) == ["优", "良", "良", "中", "中", "差"]


def test_assess_grades_with_veto_and_quota_end_to_end():
    scheme = Scheme(
        settings=Settings(excellent_ratio=0.4, rounding="向下"),
        indicators=(manual("M1", 100),),
        units=units(("A1", "甲"), ("A2", "甲"), ("A3", "甲"), ("A4", "甲"), ("A5", "甲"), ("B1", "乙")),
        vetoes=(Veto("A1", "安全生产", reason="较大事故"),),
    )
    data = pd.DataFrame({"M1": [98, 96, 94, 92, 50, 91]}, index=["A1", "A2", "A3", "A4", "A5", "B1"])
    r = assess(scheme, data)
    t = r.table
    # 甲: 5 units × 40 % = 2 places; A1 vetoed -> A2, A3 excellent; A4 over quota -> 良好.
    assert t["grade"].tolist() == ["良好", "优秀", "优秀", "良好", "不合格", "良好"]
    # 乙 has one unit: 1 × 0.4 rounds down to 0 places, so its 91 is 良好.
    assert t.at["A1", "rank"] == 1 and bool(t.at["A1", "vetoed"])
    assert r.total_explanation("A1").endswith("一票否决（安全生产：较大事故），不得评优")
    assert "超出本类别名额" in r.total_explanation("A4")


# --- per-category indicator sets ----------------------------------------------------
def test_categories_have_their_own_indicators():
    scheme = Scheme(
        settings=Settings(),
        indicators=(
            manual("C1", 60),
            manual("G1", 40, categories=("政府",)),
            ratio("Q1", 40, 10, categories=("企业",)),
        ),
        units=units(("Z1", "政府"), ("Q1X", "企业")),
    )
    data = pd.DataFrame({"C1": [50, 55], "G1": [30, 99], "Q1": [99, 8]}, index=["Z1", "Q1X"])
    r = assess(scheme, data)
    # Z1 = 50 + 30; Q1X = 55 + 8/10×40 = 87. Values outside the category are ignored.
    assert r.table["total"].tolist() == [80.0, 87.0]
    assert math.isnan(r.scores.at["Z1", "Q1"])
    rec = {x["unit"]: x for x in r.to_records()}
    assert set(rec["Z1"]["indicators"]) == {"C1", "G1"}


# --- parameter problems ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("indicator", "fragment"),
    [
        # One wording with the workbook reader and PERF_RATIO (was “目标值不能为 0”).
        (ratio("R0", 10, 0), "完成比例的目标值 “0” 应大于 0"),
        (
            Indicator("E1", "功效", "D", 10, "efficacy", standards=(5, 6, 4, 3, 2)),
            # One wording with the workbook reader (was “…严格单调（正向递减、逆向递增）”).
            "功效系数标准值应从优秀到较差递减（正向）：优秀值 “5”，良好值 “6”",
        ),
        (Indicator("L1", "线性", "D", 10, "linear", target=5, floor=5), "下限"),
        (Indicator("B1", "区间", "D", 10, "band"), "缺少区间"),
        (Indicator("X1", "未知", "D", 10, "magic"), "计分方法"),
    ],
)
def test_parameter_problems_are_reported_before_scoring(indicator, fragment):
    scheme = Scheme(Settings(), (indicator,), units(("U1", "A")))
    with pytest.raises(InputError) as exc:
        assess(scheme, pd.DataFrame({indicator.code: [1.0]}, index=["U1"]))
    assert fragment in str(exc.value)
    assert indicator.code in str(exc.value)


def test_dataframe_input_is_checked_like_a_sheet():
    scheme = Scheme(
        Settings(),
        (manual("M1", 50), Indicator("Q1", "定性", "D1", 50, "grade")),
        units(("U1", "A"), ("U2", "A")),
    )
    ok = assess(scheme, pd.DataFrame({"M1": ["４０", 30], "Q1": ["良", "A"]}, index=["U1", "U2"]))
    # U1: 40 + 0.8×50; U2: 30 + 50.
    assert ok.table["total"].tolist() == [80.0, 80.0]
    with pytest.raises(InputError) as exc:
        assess(scheme, pd.DataFrame({"M1": ["48,7", 30], "Q1": ["优秀级", "A"]}, index=["U1", "U2"]))
    text = str(exc.value)
    assert "“48,7” 不是有效数字" in text and "“优秀级” 不是有效的定性等级" in text
