"""Every scoring method of the registry is checked, scored, explained, catalogued and documented.

The registry (perf_excel.core.methods) is walked, so a method added without one of these
fails here. Expected numbers and texts are worked out by hand in the comments; a parameter
problem must read the same in a workbook (指标 sheet), in a scheme built in Python
(``assess``) and in a cell (PERF_*), since all three ask the method's one check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from perf_excel import Indicator, InputError, Scheme, Settings, Unit, assess, build_scheme
from perf_excel.cli import main
from perf_excel.core.build import parse_bands
from perf_excel.core.methods import METHODS, WORKBOOK_NAMES, explain, lookup
from perf_excel.core.tables import Table, col_letter
from perf_excel.udfs import PERF_BAND, PERF_DEDUCT, PERF_EFFICACY, PERF_GRADE_SCORE, PERF_LINEAR, PERF_RATIO

README = Path(__file__).resolve().parent.parent / "README.md"
STANDARDS = (15, 9.5, 1.7, -3, -8)  # 优秀…较差 of the hand-checked reference example


@dataclass(frozen=True)
class Case:
    """One method: a good indicator and value with its score and explanation, and a bad parameter set."""

    params: dict  # Indicator fields of the good indicator (besides 分值)
    points: float
    actual: object  # as a clerk types it (定性: the grade word)
    score: float
    explanation: str
    bad_row: dict  # 指标 columns of a wrong parameter set (besides 分值, unless given)
    bad_column: str  # the column the problem is reported in
    message: str  # the one wording
    bad_fields: dict | None = None  # the same mistake in a scheme built in Python (None: cannot be made)
    context: dict = field(default_factory=dict)  # explanation context (排名's place)


CASES: dict[str, Case] = {
    "ratio": Case(
        {"target": 500},
        10,
        487,
        9.74,  # hand-checked reference: 487/500×10
        "完成比例：487/500×10 = 9.74",
        {"目标值": 0},
        "目标值",
        "完成比例的目标值 “0” 应大于 0",
        {"target": 0},
    ),
    "efficacy": Case(
        {"standards": STANDARDS},
        20,
        8,
        12 + 6.3 / 7.8 * 4,  # hand-checked reference: 平均档 20×0.6 + (8−1.7)/(9.5−1.7)×20×0.2 = 15.2308
        "功效系数：平均档 12 + (8−1.7)/(9.5−1.7)×4 = 15.23",
        dict(zip(("优秀值", "良好值", "平均值", "较低值", "较差值"), (15, 9.5, 9.5, -3, -8))),
        "平均值",
        "功效系数标准值应从优秀到较差递减（正向）：良好值 “9.5”，平均值 “9.5”",
        {"standards": (15, 9.5, 9.5, -3, -8)},
    ),
    "band": Case(
        {"bands": parse_bands(">=95:1; >=90:0.8; else:0")},
        10,
        92,
        8.0,  # 92 meets >=90 first: 10×0.8
        "区间：92 属于 ≥90，10×0.8 = 8.00",
        {"区间": None},
        "区间",
        "区间计分缺少区间（应形如 >=95:1; >=90:0.8; else:0）",
        {"bands": None},
    ),
    "linear": Case(
        {"floor": 60, "target": 100},
        10,
        80,
        5.0,  # (80−60)/(100−60)×10
        "线性：(80−60)/(100−60)×10 = 5.00",
        {"下限": 60, "目标值": 60},
        "下限",
        "线性计分的下限与目标值相同（“60”）",
        {"floor": 60, "target": 60},
    ),
    "rank": Case(
        {"step": 0.5},
        5,
        7,  # third of 9, 8, 7 in its category (see test_each_method_scores)
        4.0,  # 5 − (3−1)×0.5
        "排名：类别内第3名，5−(3−1)×0.5 = 4.00",
        {"步长": -1},
        "步长",
        "步长 “-1” 不能为负",
        {"step": -1},
        {"rank": 3},
    ),
    "deduct": Case(
        {"per_item": 2},
        10,
        1,
        8.0,  # 10 − 1×2
        "扣分：10−1×2 = 8.00",
        {"每项扣分": 0},
        "每项扣分",
        "每项扣分 “0” 应大于 0",
        {"per_item": 0},
    ),
    "grade": Case(
        {},
        15,
        "良",
        12.0,  # default table: 良 → 0.8; 0.8×15
        "定性：良 → 0.8×15 = 12.00",
        {"区间": "优=1;良"},
        "区间",
        "定性折算 “优=1;良”：无法识别 “良”（应形如 优:1; 良:0.8）",
        None,  # a hand-built scheme gives a parsed table: there is no text to misspell
        {"text": "良"},
    ),
    "pass": Case(
        {"target": 95},
        5,
        96,
        5.0,  # 96 ≥ 95: full marks
        "达标：96 ≥ 目标值 95，达标，得 5.00",
        {"目标值": None},
        "目标值",
        "目标值不能为空",
        {"target": None},
    ),
    "step": Case(
        {"target": 100, "step": 1},
        10,
        103,
        13.0,  # 3 % above, one point per whole 1 %: 10 + 3
        "阶梯：103 比目标值 100 高 3%，每1%计1分（整档），10+3 = 13.00",
        {"目标值": 100, "步长": 0},
        "步长",
        "阶梯的步长 “0” 应大于 0（每多少个百分点计 1 分）",
        {"target": 100, "step": 0},
    ),
    "manual": Case(
        {},
        5,
        4.5,
        4.5,  # the entered score
        "直接：录入得分 4.50（满分 5）",
        {"分值": 0},  # 直接 has no parameter of its own; 分值 is every method's
        "分值",
        "分值 “0” 应大于 0",
        {"points": 0},
    ),
}


def test_every_method_has_a_case_and_both_names() -> None:
    assert set(CASES) == set(METHODS)
    assert WORKBOOK_NAMES == ("完成比例", "功效系数", "区间", "线性", "排名", "扣分", "定性", "达标", "阶梯", "直接")
    for key, method in METHODS.items():
        assert lookup(method.name) is method and lookup(key) is method and lookup(key.upper()) is method


def _indicator(key: str, **fields: object) -> Indicator:
    case = CASES[key]
    return Indicator(
        **{"code": "T1", "name": "测试", "dimension": "维度", "points": case.points, "method": key, **fields}
    )


# --- validated: one wording for the workbook, assess and the cell ------------------------
@pytest.mark.parametrize("key", list(METHODS))
def test_workbook_row_gets_the_methods_wording_in_its_cell(key: str) -> None:
    case = CASES[key]
    row = {"编码": "T1", "维度": "维度", "指标名称": "测试", "分值": case.points, "计分方法": METHODS[key].name}
    row.update(case.bad_row)
    header = list(row)
    _, _, problems = build_scheme({"指标": Table.from_rows("指标", [header, list(row.values())])})
    got = [(p.cell, p.message) for p in problems if p.sheet == "指标" and p.is_error]
    assert got == [(f"{col_letter(header.index(case.bad_column))}2", case.message)]


@pytest.mark.parametrize("key", [k for k in METHODS if CASES[k].bad_fields is not None])
def test_hand_built_scheme_is_refused_with_the_same_wording(key: str) -> None:
    case = CASES[key]
    scheme = Scheme(Settings(), (_indicator(key, **{**case.params, **case.bad_fields}),), (Unit("U1", "甲", "A"),))
    with pytest.raises(InputError) as exc:
        assess(scheme, pd.DataFrame({"T1": [case.actual]}, index=["U1"]))
    assert [(p.sheet, p.message) for p in exc.value.problems] == [("指标", f"指标 “T1”：{case.message}")]


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: PERF_RATIO(487, 0, 10), "ratio"),
        (lambda: PERF_EFFICACY(8, [[15, 9.5, 9.5, -3, -8]], 20), "efficacy"),
        (lambda: PERF_BAND(92, None, 10), "band"),
        (lambda: PERF_LINEAR(80, 60, 60, 10), "linear"),
        (lambda: PERF_DEDUCT(1, 0, 10), "deduct"),
        (lambda: PERF_GRADE_SCORE("良", 15, "优=1;良"), "grade"),
    ],
)
def test_cell_shows_the_same_wording(call, key: str) -> None:
    assert call() == f"#错误：{CASES[key].message}"


# --- scored and explained --------------------------------------------------------------
@pytest.mark.parametrize("key", list(METHODS))
def test_each_method_scores_a_hand_computed_value(key: str) -> None:
    case = CASES[key]
    # Three units of one category; the one looked at is the last (排名: third of 9, 8, 7).
    others = [9, 8] if key == "rank" else [case.actual, case.actual]
    units = tuple(Unit(f"U{k}", f"单位{k}", "A") for k in range(3))
    scheme = Scheme(Settings(), (_indicator(key, **case.params),), units)
    result = assess(scheme, pd.DataFrame({"T1": [*others, case.actual]}, index=[u.code for u in units]))
    assert result.scores.at["U2", "T1"] == pytest.approx(case.score, abs=1e-4)


@pytest.mark.parametrize(
    ("params", "actual", "expected"),
    [
        ({"target": 500}, 487, 9.74),  # hand-checked reference: 487/500×10
        ({"target": 90, "positive": False}, 95, 9.4737),  # hand-checked reference: 90/95×10
    ],
)
def test_ratio_reference_values_of_design(params: dict, actual: float, expected: float) -> None:
    ind = _indicator("ratio", **params)
    got = METHODS["ratio"].score(ind, np.array([actual], dtype=float), np.array(["A"], dtype=object))
    assert got[0] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("key", list(METHODS))
def test_each_method_explains_its_score(key: str) -> None:
    case = CASES[key]
    x = 0.8 if key == "grade" else case.actual  # 定性 values are fractions once read
    assert explain(_indicator(key, **case.params), x, case.score, case.context) == case.explanation


# --- catalogued and documented -----------------------------------------------------------
@pytest.fixture(scope="module")
def guide_rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[object]]:
    path = tmp_path_factory.mktemp("blank") / "空白.xlsx"
    assert main(["new", str(path)]) == 0
    ws = openpyxl.load_workbook(path)["说明"]
    return {row[0]: list(row) for row in ws.iter_rows(min_col=1, max_col=5, values_only=True) if row[0]}


@pytest.mark.parametrize("key", list(METHODS))
def test_blank_workbook_guide_lists_the_method(key: str, guide_rows: dict[str, list[object]]) -> None:
    m = METHODS[key]
    assert guide_rows[m.name] == [m.name, key, m.parameters, m.rule, m.example]


@pytest.mark.parametrize(
    ("function", "key"),
    [
        (PERF_RATIO, "ratio"),
        (PERF_EFFICACY, "efficacy"),
        (PERF_BAND, "band"),
        (PERF_LINEAR, "linear"),
        (PERF_DEDUCT, "deduct"),
        (PERF_GRADE_SCORE, "grade"),
    ],
)
def test_excel_function_help_is_the_catalogue_text(function, key: str) -> None:
    m = METHODS[key]
    assert function.__doc__ == f"{m.name}计分：{m.rule}。例：{m.example}。"
    assert len(function.__doc__) <= 255  # the function wizard's limit


def _readme_scoring_section() -> str:
    text = README.read_text(encoding="utf-8")
    return re.search(r"^## Scoring rules.*?(?=^## )", text, re.M | re.S).group(0)


@pytest.mark.parametrize("key", list(METHODS))
def test_readme_documents_the_method(key: str) -> None:
    assert f"| {METHODS[key].name} | `{key}` |" in _readme_scoring_section()
