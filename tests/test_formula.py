"""Derived indicators: the safe formula parser, derive_columns, and scoring like typed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from perf_excel.core.assess import assess
from perf_excel.core.build import build_scheme
from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import InputError
from perf_excel.core.formula import FormulaError, check_formulas, derive_columns, formula_names, parse_formula
from perf_excel.core.model import Indicator, Unit
from perf_excel.core.tables import Table

ENV = {"a": np.array([6.0]), "b": np.array([4.0]), "就业人数": np.array([30.0]), "财政投入": np.array([200000.0])}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a + b * 2", 14.0),
        ("(a + b) * 2", 20.0),
        ("a - b - 1", 1.0),  # left-associative
        ("a / b / 2", 0.75),
        ("-a + b", -2.0),
        ("--a", 6.0),
        ("=a*b", 24.0),  # a leading = as typed in Excel
        ("就业人数 / (财政投入 / 10000)", 1.5),  # 30 / 20
        ("就业人数／（财政投入÷10000）", 1.5),  # full-width operators and parentheses
        ("a × 30%", 1.8),
        ("1e4 / 财政投入", 0.05),
        ("min(a, b)", 4.0),
        ("MAX(a, b, 7)", 7.0),
        ("abs(b - a)", 2.0),
        ("round(a / b, 1)", 1.5),
        ("round(2.5)", 3.0),  # half up, not banker's
        ("round(a/b*0.15, 2)", 0.23),  # 0.225 → 0.23
        ("[a] + 【b】", 10.0),
        ("max(a, b) - min(a, b) * 0.5", 4.0),
    ],
)
def test_evaluate(text, expected):
    f = parse_formula(text)
    values, na, zero = f.evaluate({n: ENV[n] for n in f.names})
    assert values[0] == pytest.approx(expected)
    assert not na[0] and zero == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "公式为空"),
        ("a +", "公式不完整，结尾处缺少数字、列名或 “(”"),
        ("(a + b", "公式不完整，结尾处缺少“)”"),
        ("min(a b)", "第 7 个字符处应为“)”，实际为 “b”"),
        ("a b", "第 3 个字符处多出了 “b”（缺少运算符或括号？）"),
        ("a ** b", "第 4 个字符处应为数字、列名或 “(”，实际为 “*”"),
        ("foo(a)", "未知函数 “foo”（可用：min、max、abs、round）"),
        ("__import__('os')", "未知函数 “__import__”"),
        ("abs(a, b)", "函数 abs 需要 1 个参数，实际为 2 个"),
        ("round(a, b)", "round 的小数位数应为 0–10 的整数常数"),
        ("[a + b", "第 1 个字符处的 “[” 没有配对的 “]”"),
        ("1..2 * a", "第 1 个字符处的 “1..2” 不是有效数字"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(FormulaError) as exc:
        parse_formula(text)
    assert message in str(exc.value)


@pytest.mark.parametrize(
    "text, names",
    [
        ("就业人数 / (财政投入 / 10000)", {"就业人数", "财政投入"}),
        ("[GDP(亿元)] / 常住人口", {"GDP(亿元)", "常住人口"}),
        ("round(max(X01, X02), 2) * 100", {"X01", "X02"}),
        ("满意度提升（百分点）", set()),  # does not parse (an unknown function) → reported by check_formulas
        ("a +", set()),
    ],
)
def test_formula_names(text, names):
    assert formula_names(text) == names


def test_blank_and_not_applicable_propagate():
    f = parse_formula("x / y")
    values, na, zero = f.evaluate(
        {"x": np.array([1.0, np.nan, 3.0]), "y": np.array([2.0, 2.0, 1.0])},
        {"x": np.array([False, False, True])},
    )
    assert values[0] == 0.5 and math.isnan(values[1]) and math.isnan(values[2])
    assert na.tolist() == [False, False, True]
    assert zero == []


# --- derive_columns on a dataset -------------------------------------------------
def _ind(code, formula, cell="S3", categories=()):
    return Indicator(
        code, code, "效益", 10, "ratio", target=1, formula=formula, categories=categories, cells={"公式": cell}
    )


def _dataset(frame: pd.DataFrame) -> Dataset:
    na = frame.apply(lambda c: c.astype(object) == "不适用")
    values = frame.mask(na).apply(pd.to_numeric, errors="coerce").astype(float)
    letters = {c: chr(ord("B") + k) for k, c in enumerate(frame.columns)}
    rows = {u: k + 2 for k, u in enumerate(frame.index)}
    return Dataset(values, na.astype(bool), {}, "数据", rows, letters)


def test_derive_columns_values_and_order():
    frame = pd.DataFrame(
        {"就业人数": [30, 12, None, 5], "财政投入": [200000, 40000, 10000, "不适用"]},
        index=["A1", "A2", "A3", "A4"],
    )
    # C02 uses C01: evaluated after it whatever the order of the indicators.
    inds = [_ind("C02", "C01 * 2"), _ind("C01", "就业人数 / (财政投入 / 10000)")]
    out = derive_columns(inds, _dataset(frame))
    c01 = out.values["C01"].tolist()
    assert c01[:2] == [1.5, 3.0] and math.isnan(c01[2]) and math.isnan(c01[3])
    assert out.not_applicable["C01"].tolist() == [False, False, False, True]
    assert out.values["C02"].tolist()[:2] == [3.0, 6.0]
    assert out.not_applicable["C02"].tolist() == [False, False, False, True]


def test_division_by_zero_names_the_data_cell():
    frame = pd.DataFrame({"x": [1, 2, 3], "y": [2, 0, 0]}, index=["A1", "A2", "A3"])
    with pytest.raises(InputError) as exc:
        derive_columns([_ind("C01", "x / y")], _dataset(frame))
    assert [str(p) for p in exc.value.problems] == [
        "数据!C3：单位 “A2” 的指标 “C01” 公式 “x / y” 除数为 0（y = 0）",
        "数据!C4：单位 “A3” 的指标 “C01” 公式 “x / y” 除数为 0（y = 0）",
    ]


def test_division_by_zero_of_an_expression_names_the_formula_cell():
    frame = pd.DataFrame({"x": [1, 2], "y": [3, 5]}, index=["A1", "A2"])
    with pytest.raises(InputError) as exc:
        derive_columns([_ind("C01", "x / (y - 3)", cell="S4")], _dataset(frame))
    assert [str(p) for p in exc.value.problems] == [
        "指标!S4：单位 “A1”（数据第2行）的指标 “C01” 公式 “x / (y - 3)” 除数为 0（y - 3 = 0）"
    ]


def test_division_by_zero_ignored_where_the_indicator_does_not_apply():
    frame = pd.DataFrame({"x": [1, 2], "y": [0, 4]}, index=["A1", "A2"])
    units = [Unit("A1", "甲", "部门"), Unit("A2", "乙", "企业")]
    out = derive_columns([_ind("C01", "x / y", categories=("企业",))], _dataset(frame), units)
    assert math.isnan(out.values["C01"]["A1"]) and out.values["C01"]["A2"] == 0.5


@pytest.mark.parametrize(
    "inds, expected",
    [
        (
            [_ind("C01", "就业 / 财政投入")],
            ["指标!S3：指标 “C01” 的公式 “就业 / 财政投入” 引用了 “就业”，数据表中没有这一列，是否应为 “就业人数”？"],
        ),
        (
            [_ind("C01", "就业人数 +")],
            ["指标!S3：指标 “C01” 的公式 “就业人数 +”：公式不完整，结尾处缺少数字、列名或 “(”"],
        ),
        ([_ind("C01", "C01 + 1")], ["指标!S3：指标 “C01” 的公式引用了它自己"]),
        (
            [_ind("C01", "C02 + 1", "S3"), _ind("C02", "C01 * 2", "S4")],
            ["指标!S3：指标 C01、C02 的公式相互引用（循环引用），无法计算"],
        ),
    ],
)
def test_check_formulas_problems(inds, expected):
    problems, _ = check_formulas(inds, ["就业人数", "财政投入"])
    assert [str(p) for p in problems] == expected


# --- through the workbook contract: a derived indicator scores like a typed one ------
INDICATOR_HEADER = ["编码", "维度", "指标名称", "分值", "计分方法", "下限", "目标值", "公式"]


def _tables(derived: bool) -> dict[str, Table]:
    formula = "就业人数 / (财政投入 / 10000)" if derived else ""
    indicators = [
        INDICATOR_HEADER,
        ["K01", "效益", "每万元财政投入带动就业", 60, "完成比例", None, 2, formula],
        ["K02", "效益", "满意度", 40, "线性", 60, 90, ""],
    ]
    employment = [30, 12, 50, 7]
    funding = [200000, 40000, 250000, 70000]
    if derived:
        data = [["单位编码", "就业人数", "财政投入", "K02"]]
        data += [[u, e, f, s] for u, e, f, s in zip("ABCD", employment, funding, [95, 80, 88, 60])]
    else:
        # The same ratios typed in by hand: 1.5, 3, 2, 1.
        data = [["单位编码", "K01", "K02"]]
        data += [[u, e / (f / 10000), s] for u, e, f, s in zip("ABCD", employment, funding, [95, 80, 88, 60])]
    units = [["编码", "名称", "类别"]] + [[u, f"单位{u}", "部门"] for u in "ABCD"]
    return {
        "指标": Table.from_rows("指标", indicators, "t.xlsx"),
        "单位": Table.from_rows("单位", units, "t.xlsx"),
        "数据": Table.from_rows("数据", data, "t.xlsx"),
    }


def test_derived_indicator_scores_like_typed_values():
    results = {}
    for derived in (True, False):
        scheme, data, problems = build_scheme(_tables(derived), "t.xlsx")
        assert [p for p in problems if p.is_error] == []
        assert not [p for p in problems if "不是指标编码" in p.message]  # raw columns are not "ignored"
        results[derived] = assess(scheme, data)
    a, b = results[True], results[False]
    pd.testing.assert_frame_equal(a.scores, b.scores)
    assert a.table["total"].tolist() == b.table["total"].tolist()
    # K01: 完成比例 against target 2, 60 points, capped at 60: 1.5 → 45, 3 → 60, 2 → 60, 1 → 30.
    assert a.scores["K01"].tolist() == [45.0, 60.0, 60.0, 30.0]


def test_build_reports_unknown_formula_names_with_cell():
    tables = _tables(True)
    rows = [list(r) for r in tables["指标"].rows]
    rows[0][-1] = "就业人数 / 财政收入"
    tables["指标"] = Table("指标", tables["指标"].columns, rows, file="t.xlsx")
    _, _, problems = build_scheme(tables, "t.xlsx")
    errors = [str(p) for p in problems if p.is_error]
    assert errors == [
        "t.xlsx 指标!H2：指标 “K01” 的公式 “就业人数 / 财政收入” 引用了 “财政收入”，数据表中没有这一列，是否应为 “财政投入”？"
    ]
