"""Each scoring method against hand-computed values (the working is in each row's comment)."""

from __future__ import annotations

import numpy as np
import pytest

from perf_excel.core.build import parse_bands
from perf_excel.core.methods import METHODS, explain, grade_fraction
from perf_excel.core.methods.rank import score_rank
from perf_excel.core.model import DEFAULT_GRADE_TABLE, Indicator


def ind(method: str, points: float = 10, **kw) -> Indicator:
    return Indicator(code="T1", name="测试指标", dimension="维度", points=points, method=method, **kw)


def score(indicator: Indicator, x: float, groups=None) -> float:
    arr = np.array([x], dtype=float)
    g = np.array(["A"], dtype=object) if groups is None else groups
    return float(METHODS[indicator.method].score(indicator, arr, g)[0])


@pytest.mark.parametrize(
    ("kw", "actual", "expected"),
    [
        ({"target": 500}, 487, 9.74),  # hand-checked reference: 487/500×10
        ({"target": 90, "positive": False}, 95, 9.473684210526),  # hand-checked reference: 90/95×10
        ({"target": 100}, 120, 10.0),  # capped at 分值 × 1.0
        ({"target": 100, "cap": 1.2}, 110, 11.0),  # 110/100×10 under the 1.2 cap
        ({"target": 100, "cap": 1.2}, 130, 12.0),  # 13 capped at 12
        ({"target": 100}, -5, 0.0),  # negative actual never scores below 0
        ({"target": 5, "positive": False}, 0, 10.0),  # no incidents at all: the best possible
        ({"target": 5, "positive": False}, 10, 5.0),  # 5/10×10
    ],
)
def test_ratio(kw, actual, expected):
    assert score(ind("ratio", **kw), actual) == pytest.approx(expected, abs=1e-9)


# Positive standards 优秀…较差 = 15, 9.5, 1.7, −3, −8 on 20 points.
POS = {"standards": (15, 9.5, 1.7, -3, -8)}
# Reverse standards (lower is better) = 45, 55, 65, 75, 85 on 12 points.
REV = {"standards": (45, 55, 65, 75, 85), "positive": False}


@pytest.mark.parametrize(
    ("points", "kw", "actual", "expected"),
    [
        (20, POS, 8, 12 + 6.3 / 7.8 * 4),  # hand-checked reference: 15.2308
        (20, POS, 15, 20.0),  # at 优秀值: full marks
        (20, POS, 40, 20.0),  # above 优秀值: full marks
        (20, POS, 1.7, 12.0),  # exactly 平均值: 0.6 × 20
        (20, POS, -8, 4.0),  # exactly 较差值: 0.2 × 20
        (20, POS, -8.01, 0.0),  # below 较差值: 0
        (20, POS, 0, 8 + 3 / 4.7 * 4),  # 较低档 8 + (0+3)/(1.7+3)×4
        (12, REV, 50, 10.8),  # reverse indicator, 良好档 9.6 + (50−55)/(45−55)×2.4
        (12, REV, 45, 12.0),  # at 优秀值
        (12, REV, 30, 12.0),  # better than 优秀值
        (12, REV, 85, 2.4),  # exactly 较差值
        (12, REV, 86, 0.0),  # worse than 较差值
        (12, REV, 70, 12 * 0.4 + 0.5 * 12 * 0.2),  # 较低档 4.8 + (70−75)/(65−75)×2.4 = 6.0
    ],
)
def test_efficacy(points, kw, actual, expected):
    assert score(ind("efficacy", points, **kw), actual) == pytest.approx(expected, abs=1e-9)


def test_efficacy_explanation_matches_issue_example():
    i = ind("efficacy", 12, **REV)
    assert explain(i, 50.0, 10.8) == "功效系数：良好档 9.6 + (50−55)/(45−55)×2.4 = 10.80"


BANDS = parse_bands(">=95:1; >=90:0.8; >=80:0.6; else:0")


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(96, 10.0), (95, 10.0), (94.99, 8.0), (90, 8.0), (85, 6.0), (79.9, 0.0)],
)
def test_band(actual, expected):
    assert score(ind("band", bands=BANDS), actual) == pytest.approx(expected)


def test_band_without_else_scores_zero_when_nothing_matches():
    i = ind("band", bands=parse_bands("≥90：1；＞80：50%"))
    assert [score(i, x) for x in (91, 85, 80)] == [10.0, 5.0, 0.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (">=95 1; else:0", "无法识别"),
        (">=abc:1", "界值"),
        (">=90:x", "得分比例"),
        ("", "区间为空"),
    ],
)
def test_band_parse_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_bands(text)


@pytest.mark.parametrize(
    ("kw", "actual", "expected"),
    [
        ({"floor": 60, "target": 100}, 80, 5.0),  # (80−60)/(100−60)×10
        ({"floor": 60, "target": 100}, 50, 0.0),
        ({"floor": 60, "target": 100}, 110, 10.0),
        ({"floor": 20, "target": 5}, 10, 10 / 15 * 10),  # reverse: (10−20)/(5−20)×10
    ],
)
def test_linear(kw, actual, expected):
    assert score(ind("linear", **kw), actual) == pytest.approx(expected)


def test_rank_by_step_shares_places():
    i = ind("rank", step=1.5)
    x = np.array([98, 95, 95, 90, 70, 99], dtype=float)
    g = np.array(["A", "A", "A", "A", "B", "B"], dtype=object)
    # Category A ranks 1, 2, 2, 4 -> 10, 8.5, 8.5, 5.5; category B: 99 first, 70 second.
    got = score_rank(i, x, g)
    assert got.tolist() == pytest.approx([10, 8.5, 8.5, 5.5, 8.5, 10])


def test_rank_step_floor_is_zero():
    i = ind("rank", step=4)
    x = np.array([5, 4, 3, 2], dtype=float)
    assert score_rank(i, x, np.array(["A"] * 4, dtype=object)).tolist() == [10, 6, 2, 0]


def test_rank_proportional_positive_and_reverse():
    g = np.array(["A", "A", "B", "B"], dtype=object)
    x = np.array([98, 49, 2, 4], dtype=float)
    # A: 98/98×10, 49/98×10; B: 2/4×10, 4/4×10.
    assert score_rank(ind("rank"), x, g).tolist() == pytest.approx([10, 5, 5, 10])
    rev = ind("rank", positive=False)
    assert score_rank(rev, np.array([2, 4, 5, 10.0]), g).tolist() == pytest.approx([10, 5, 10, 5])


@pytest.mark.parametrize(("count", "expected"), [(0, 10.0), (3, 4.0), (5, 0.0), (6, 0.0)])
def test_deduct(count, expected):
    assert score(ind("deduct", per_item=2), count) == expected


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("优", 1.0), ("良", 0.8), ("B", 0.8), ("c", 0.6), (" 差 ", 0.4), ("D", 0.4), ("良好", 0.8), ("合格", None)],
)
def test_grade_table(text, fraction):
    assert grade_fraction(DEFAULT_GRADE_TABLE, text) == fraction


@pytest.mark.parametrize(
    ("kw", "actual", "expected"),
    [
        ({"target": 95}, 95, 10.0),
        ({"target": 95}, 94.99, 0.0),
        ({"target": 5, "positive": False}, 5, 10.0),
        ({"target": 5, "positive": False}, 5.1, 0.0),
    ],
)
def test_pass(kw, actual, expected):
    assert score(ind("pass", **kw), actual) == expected


@pytest.mark.parametrize(
    ("kw", "actual", "expected"),
    [
        ({}, 103.5, 23.0),  # 3.5 % above, whole steps: +3
        ({}, 110, 26.0),  # +10 bounded at +6
        ({}, 97.5, 18.0),  # 2.5 % below: −2 whole steps
        ({}, 80, 14.0),  # −20 bounded at −6
        ({"step_linear": True}, 103.5, 23.5),  # linear: +3.5
        ({"step": 2}, 105, 22.0),  # one point per 2 %: 5 % -> +2 whole steps
        ({"positive": False}, 95, 25.0),  # cost 5 % under target is good: +5
        ({"step_bound": None}, 130, 50.0),  # no bound: +30
    ],
)
def test_step(kw, actual, expected):
    params = {"target": 100, "step": 1, "step_bound": 6} | kw
    assert score(ind("step", 20, **params), actual) == pytest.approx(expected)


def test_manual():
    assert score(ind("manual"), 8.5) == 8.5


@pytest.mark.parametrize(
    ("indicator", "actual", "points", "text"),
    [
        (ind("ratio", target=100), 95, 9.5, "完成比例：95/100×10 = 9.50"),
        (ind("ratio", target=100), 120, 10, "完成比例：120/100×10 = 12.00，封顶 10.00"),
        (ind("ratio", target=90, positive=False), 95, 90 / 95 * 10, "完成比例（逆向）：90/95×10 = 9.47"),
        (ind("band", bands=BANDS), 92, 8, "区间：92 属于 ≥90，10×0.8 = 8.00"),
        (ind("linear", floor=60, target=100), 80, 5, "线性：(80−60)/(100−60)×10 = 5.00"),
        (ind("deduct", per_item=2), 3, 4, "扣分：10−3×2 = 4.00"),
        (ind("pass", target=95), 96, 10, "达标：96 ≥ 目标值 95，达标，得 10.00"),
        (ind("manual"), 8.5, 8.5, "直接：录入得分 8.50（满分 10）"),
    ],
)
def test_explanations(indicator, actual, points, text):
    assert explain(indicator, actual, points) == text


def test_explanation_of_missing_value():
    assert explain(ind("ratio", target=1), float("nan"), 0) == "未填报，计 0 分"
