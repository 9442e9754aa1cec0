"""PERF_* custom functions called as plain Python, as xlwings calls them.

A single cell arrives as a scalar, a range as a list of rows; each function returns what
the cell shows. Every expected number is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from perf_excel.udfs import (
    PERF_AHP,
    PERF_ASSESS,
    PERF_BAND,
    PERF_CRITIC,
    PERF_DEDUCT,
    PERF_EFFICACY,
    PERF_ENTROPY,
    PERF_EXPLAIN,
    PERF_GRADE,
    PERF_GRADE_SCORE,
    PERF_LINEAR,
    PERF_RANK,
    PERF_RATIO,
    PERF_VETO,
)


def col(*values):
    """A column range as xlwings passes it (ndim=2): a list of one-value rows."""
    return [[v] for v in values]


def approx_rows(rows, rel=1e-9, abs_=1e-4):
    return [[pytest.approx(v, rel=rel, abs=abs_) if isinstance(v, float) else v for v in r] for r in rows]


STANDARDS = [[20, 9.5, 1.7, -5, -10]]  # 优秀, 良好, 平均, 较低, 较差 (percent)
BANDS = ">=95:1; >=90:0.8; >=80:0.6; else:0"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        # 完成比例: 487/500×10 = 9.74 (hand-checked reference)
        (lambda: PERF_RATIO(487, 500, 10), 9.74),
        # 逆向: 90/95×10 = 9.47368
        (lambda: PERF_RATIO(95, 90, 10, "逆向"), 9.4737),
        # 600/500×10 = 12, capped at 10×1
        (lambda: PERF_RATIO(600, 500, 10), 10.0),
        # 封顶 1.2: 600/500×10 = 12 ≤ 12; 700/500×10 = 14 → 12
        (lambda: PERF_RATIO(600, 500, 10, "正向", 1.2), 12.0),
        (lambda: PERF_RATIO(700, 500, 10, None, 1.2), 12.0),
        # 逆向 with actual 0 (no accidents): the best possible, the cap
        (lambda: PERF_RATIO(0, 5, 10, "逆向"), 10.0),
        # negative actual: −50/500×10 = −1 → floor 0
        (lambda: PERF_RATIO(-50, 500, 10), 0.0),
        # full-width digits and a percent sign are read like the workbook reads them: 95% = 0.95
        (lambda: PERF_RATIO("９５%", 1, 10), 9.5),
        # 功效系数 weight 20, actual 8: 20×0.6 + (8−1.7)/(9.5−1.7)×20×0.2 = 12 + 6.3/7.8×4 = 15.2308
        (lambda: PERF_EFFICACY(8, STANDARDS, 20), 15.2308),
        # at 优秀 or above: full marks
        (lambda: PERF_EFFICACY(25, STANDARDS, 20), 20.0),
        # exactly 良好: 20×0.8 = 16
        (lambda: PERF_EFFICACY(9.5, STANDARDS, 20), 16.0),
        # exactly 较差: 20×0.2 = 4; below 较差: 0
        (lambda: PERF_EFFICACY(-10, STANDARDS, 20), 4.0),
        (lambda: PERF_EFFICACY(-11, STANDARDS, 20), 0.0),
        # 较低档: 20×0.4 + (0−(−5))/(1.7−(−5))×4 = 8 + 2.98507 = 10.9851
        (lambda: PERF_EFFICACY(0, STANDARDS, 20), 10.9851),
        # standards as a column work the same
        (lambda: PERF_EFFICACY(8, col(20, 9.5, 1.7, -5, -10), 20), 15.2308),
        # 逆向 (standards increase 1…5), actual 2.5 between 良好 2 and 平均 3:
        # 10×0.6 + (3−2.5)/(3−2)×10×0.2 = 6 + 1 = 7
        (lambda: PERF_EFFICACY(2.5, [[1, 2, 3, 4, 5]], 10), 7.0),
        # 区间
        (lambda: PERF_BAND(96, BANDS, 10), 10.0),
        (lambda: PERF_BAND(95, BANDS, 10), 10.0),
        (lambda: PERF_BAND(92, BANDS, 10), 8.0),
        (lambda: PERF_BAND(85, BANDS, 10), 6.0),
        (lambda: PERF_BAND(50, BANDS, 10), 0.0),
        (lambda: PERF_BAND(80, ">=90:1", 10), 0.0),
        (lambda: PERF_BAND(91, "≥90：1；其他：0.5", 10), 10.0),
        # 线性: (80−60)/(100−60)×20 = 10; clamped at both ends
        (lambda: PERF_LINEAR(80, 60, 100, 20), 10.0),
        (lambda: PERF_LINEAR(50, 60, 100, 20), 0.0),
        (lambda: PERF_LINEAR(110, 60, 100, 20), 20.0),
        # 逆向 linear (下限 10 > 目标 2): (6−10)/(2−10)×10 = 5
        (lambda: PERF_LINEAR(6, 10, 2, 10), 5.0),
        # 扣分: 10 − 3×2 = 4; 10 − 6×2 < 0 → 0
        (lambda: PERF_DEDUCT(0, 2, 10), 10.0),
        (lambda: PERF_DEDUCT(3, 2, 10), 4.0),
        (lambda: PERF_DEDUCT(6, 2, 10), 0.0),
        # 定性: 优 1.0, 良 0.8, C 0.6, d (any case) 0.4
        (lambda: PERF_GRADE_SCORE("优", 10), 10.0),
        (lambda: PERF_GRADE_SCORE("良", 10), 8.0),
        (lambda: PERF_GRADE_SCORE("C", 10), 6.0),
        (lambda: PERF_GRADE_SCORE(" d ", 10), 4.0),
        (lambda: PERF_GRADE_SCORE("良", 10, "优:1; 良:0.9"), 9.0),
    ],
)
def test_per_indicator_single_cell(call, expected):
    result = call()
    assert type(result) is float
    assert result == pytest.approx(expected, abs=5e-5)


def test_single_cell_range_gives_a_scalar():
    # A 1×1 range (what xlwings passes for A2 with ndim=2) shows in one cell.
    assert PERF_RATIO([[487]], [[500]], [[10]]) == pytest.approx(9.74)


def test_column_in_column_out_with_blank_and_not_applicable():
    got = PERF_RATIO(col(487, 600, None, "不适用", 250), 500, 10)
    # 9.74; 12 capped 10; blank stays blank; 不适用 shown as such; 250/500×10 = 5
    assert got == approx_rows([[9.74], [10.0], [""], ["不适用"], [5.0]])


def test_row_in_row_out():
    assert PERF_RATIO([[487, 250]], 500, 10) == approx_rows([[9.74, 5.0]])


def test_flat_list_from_python_is_a_column():
    assert PERF_DEDUCT([0, 3], 2, 10) == [[10.0], [4.0]]


def test_parameters_per_unit():
    # Each county has its own target: 50/100×10 = 5; 90/90×10 = 10; 60/50×10 = 12 → 10
    assert PERF_RATIO(col(50, 90, 60), col(100, 90, 50), 10) == [[5.0], [10.0], [10.0]]


def test_bad_value_in_a_column_only_marks_its_cell():
    got = PERF_RATIO(col(487, "12,5", datetime(2025, 3, 1), "#DIV/0!"), 500, 10)
    assert got == approx_rows(
        [
            [9.74],
            ["#错误：实际值 “12,5” 不是有效数字"],
            ["#错误：实际值 “2025-03-01” 是日期，不是数字"],
            ["#错误：实际值 “#DIV/0!” 不是有效数字"],
        ]
    )


def test_bad_parameter_of_one_unit_only_marks_its_cell():
    got = PERF_RATIO(col(1, 2), col(0, 5), 10)
    assert got == [["#错误：完成比例的目标值 “0” 应大于 0"], [4.0]]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: PERF_RATIO(1, 0, 10), "#错误：完成比例的目标值 “0” 应大于 0"),
        (lambda: PERF_RATIO(col(1, 2), 0, 10), "#错误：完成比例的目标值 “0” 应大于 0"),
        (lambda: PERF_RATIO("abc", 100, 10), "#错误：实际值 “abc” 不是有效数字"),
        (lambda: PERF_RATIO(1, 100, "十"), "#错误：分值 “十” 不是有效数字"),
        (lambda: PERF_RATIO(1, 100, 0), "#错误：分值 “0” 应大于 0"),
        (lambda: PERF_RATIO(1, None, 10), "#错误：目标值不能为空"),
        (lambda: PERF_RATIO(1, 100, 10, "横向"), "#错误：方向 “横向” 无效（应为 正向 或 逆向）"),
        (lambda: PERF_RATIO(1, 100, 10, None, 0), "#错误：封顶 “0” 应大于 0"),
        (
            lambda: PERF_RATIO(col(1, 2), col(1, 2, 3), 10),
            "#错误：目标值的区域为 3×1，应为单个单元格或与实际值相同（2×1）",
        ),
        (lambda: PERF_RATIO(True, 100, 10), "#错误：实际值 “True” 不是有效数字"),
        (
            lambda: PERF_EFFICACY(8, [[1, 2, 3]], 20),
            "#错误：功效系数需要 5 个标准值（优秀、良好、平均、较低、较差），收到 3 个",
        ),
        (
            lambda: PERF_EFFICACY(8, [[20, 9.5, 9.5, -5, -10]], 20),
            "#错误：功效系数标准值应从优秀到较差递减（正向）：良好值 “9.5”，平均值 “9.5”",
        ),
        (lambda: PERF_EFFICACY(8, [["a", 2, 3, 4, 5]], 20), "#错误：优秀值 “a” 不是有效数字"),
        (
            lambda: PERF_BAND(5, ">=95", 10),
            "#错误：区间 “>=95”：无法识别 “>=95”（应形如 >=95:1; >=90:0.8; else:0）",
        ),
        (lambda: PERF_LINEAR(5, 10, 10, 10), "#错误：线性计分的下限与目标值相同（“10”）"),
        (lambda: PERF_DEDUCT(-1, 2, 10), "#错误：扣分项数 “-1” 不能为负"),
        (lambda: PERF_DEDUCT("两项", 2, 10), "#错误：扣分项数 “两项” 不是有效数字"),
        (lambda: PERF_DEDUCT(1, 0, 10), "#错误：每项扣分 “0” 应大于 0"),
        (
            lambda: PERF_GRADE_SCORE("优", 10, "优=1;良"),
            "#错误：定性折算 “优=1;良”：无法识别 “良”（应形如 优:1; 良:0.8）",
        ),
        (lambda: PERF_RANK("abc"), "#错误：得分 “abc” 不是有效数字"),
        (
            lambda: PERF_RANK(col(1, 2), col("a", "b", "c")),
            "#错误：类别的区域为 3×1，应为单个单元格或与得分相同（2×1）",
        ),
        (lambda: PERF_GRADE("x"), "#错误：总分 “x” 不是有效数字"),
        (
            lambda: PERF_GRADE(90, None, None, None, "abc"),
            "#错误：优秀名额 “abc” 不是有效的名额（应为整数，如 6 或 前6名）",
        ),
        (
            lambda: PERF_GRADE(90, None, None, "优秀90"),
            "#错误：等次标准 “优秀90”：无法识别 “优秀90”（应形如 优秀:90; 良好:80; 合格:60; 不合格:0）",
        ),
        (
            lambda: PERF_GRADE(90, None, None, None, None, "上"),
            "#错误：比例取整 “上” 无效（应为 向下、四舍五入、向上 之一）",
        ),
        (
            lambda: PERF_GRADE(90, None, None, None, None, None, "降级"),
            "#错误：否决效果 “降级” 无效（应为 不得评优、不合格 之一）",
        ),
        (lambda: PERF_GRADE(col(90), None, col("也许")), "#错误：否决列第 1 个值 “也许” 无效（应为 是 或 否）"),
    ],
)
def test_error_texts(call, expected):
    assert call() == expected


def test_unknown_grade_names_the_accepted_grades():
    got = PERF_GRADE_SCORE(col("优", "甲"), 10)
    assert got[0] == [10.0]
    assert got[1][0].startswith("#错误：“甲” 不是有效的定性等级（应为 优、A、良、B、中、C、差、D")


def test_rank_ties_shared_1224():
    # hand-checked reference: 92.5, 88, 92.5, 75, 88, 60 → 1, 3, 1, 5, 3, 6
    assert PERF_RANK(col(92.5, 88, 92.5, 75, 88, 60)) == col(1, 3, 1, 5, 3, 6)


def test_rank_within_categories_and_blanks():
    # A: 92.5, 88, 88 → 1, 2, 2; B: 92.5, 75, 60 → 1, 2, 3
    got = PERF_RANK(col(92.5, 88, 92.5, 75, 88, 60), col("A", "A", "B", "B", "A", "B"))
    assert got == col(1, 2, 1, 2, 2, 3)
    assert PERF_RANK(col(90, None, 80)) == col(1, "", 2)
    assert PERF_RANK(77) == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # 20 % of 6 units = 1.2 → 1 place (向下): only 95 is 优秀
        ((col(95, 92, 91, 85, 70, 50), None, None, None, "20%"), ["优秀", "良好", "良好", "良好", "合格", "不合格"]),
        # 0.2 is the same ratio; 向上 gives 2 places
        (
            (col(95, 92, 91, 85, 70, 50), None, None, None, 0.2, "向上"),
            ["优秀", "优秀", "良好", "良好", "合格", "不合格"],
        ),
        # no quota: everyone at 90 or above
        ((col(95, 92, 91, 85),), ["优秀", "优秀", "优秀", "良好"]),
        # a vetoed unit cannot take the place; it goes to the next unit (不得评优)
        ((col(95, 92, 85), None, col("是", "", "否"), None, 1), ["良好", "优秀", "良好"]),
        # 否决效果 不合格
        ((col(95, 92, 85), None, col(True, False, None), None, 1, None, "不合格"), ["不合格", "优秀", "良好"]),
        # quota per category: 前1名 in A and in B
        ((col(95, 93, 91), col("A", "B", "A"), None, None, "前1名"), ["优秀", "优秀", "良好"]),
        # totals are rounded half up to 2 decimals first: 89.995 → 90.00, 89.994 → 89.99
        ((col(89.995, 89.994),), ["优秀", "良好"]),
        # own standards
        ((col(85, 75, 55), None, None, "优:85; 良:75; 差:0"), ["优", "良", "差"]),
        # a tie on the quota boundary does not exceed the quota (并列处理 不超额)
        ((col(95, 95, 80), None, None, None, 1), ["良好", "良好", "良好"]),
        # blanks stay blank and take no place
        ((col(None, 95, 91), None, None, None, 1), ["", "优秀", "良好"]),
    ],
)
def test_grade(args, expected):
    assert PERF_GRADE(*args) == col(*expected)


def test_veto_flags():
    assert PERF_VETO(col("X01", "X02", 101.0), col("X02", "101", None)) == col("", "是", "是")
    assert PERF_VETO("X01", "X01") == "是"


# --- the whole assessment --------------------------------------------------------------
INDICATORS = [
    ["编码", "维度", "指标名称", "分值", "计分方法", "目标值", "每项扣分"],
    ["A1", "经济", "地区生产总值", 60, "完成比例", 100, None],
    ["A2", "安全", "安全事故", 40, "扣分", None, 5],
]
UNITS = [
    ["编码", "名称", "类别"],
    ["U1", "甲区", "县区"],
    ["U2", "乙区", "县区"],
    ["U3", "丙局", "部门"],
    ["U4", "丁局", "部门"],
]
DATA = [["单位编码", "A1", "A2"], ["U1", 95, 1], ["U2", 120, 0], ["U3", 80, 2], ["U4", "不适用", 1]]
BONUS = [["单位编码", "类型", "分值", "事由"], ["U3", "加分", 2, "获国家表彰"]]
VETOES = [["单位编码", "事项", "事由"], ["U2", "安全生产", "发生较大事故"]]
SETTINGS = [["项目", "值"], ["等次标准", "优秀:90; 良好:80; 合格:60; 不合格:0"], ["成文日期", datetime(2026, 1, 20)]]


def test_assess_returns_the_results_table():
    got = PERF_ASSESS(INDICATORS, UNITS, DATA, BONUS, VETOES, None, SETTINGS)
    assert got[0] == [
        "单位编码",
        "单位名称",
        "类别",
        "经济",
        "安全",
        "加减分",
        "总分",
        "类别排名",
        "等次",
        "否决",
        "说明",
    ]
    body = [r[:10] for r in got[1:]]
    # U1: 95/100×60 = 57, 40−1×5 = 35 → 92, 2nd in 县区 behind U2, 优秀 (no quota)
    # U2: 120/100×60 = 72 → 60, 40 → 100; vetoed → not 优秀 → 良好 (≥ 80)
    # U3: 80/100×60 = 48, 40−2×5 = 30, + 2 → 80 → 良好, 2nd in 部门
    # U4: A1 不适用 → 35 × 100/40 = 87.5 → 良好, 1st in 部门
    assert body == [
        ["U1", "甲区", "县区", 57.0, 35.0, 0.0, 92.0, 2, "优秀", ""],
        ["U2", "乙区", "县区", 60.0, 40.0, 0.0, 100.0, 1, "良好", "是"],
        ["U3", "丙局", "部门", 48.0, 30.0, 2.0, 80.0, 2, "良好", ""],
        ["U4", "丁局", "部门", 0.0, 35.0, 0.0, 87.5, 1, "良好", ""],
    ]
    assert "一票否决（安全生产：发生较大事故），不得评优" in got[2][10]


def test_assess_ignores_trailing_blank_rows_and_columns():
    padded = [r + [None, None] for r in DATA] + [[None] * 5] * 50
    got = PERF_ASSESS(INDICATORS, UNITS, padded)
    assert [r[6] for r in got[1:]] == [92.0, 100.0, 78.0, 87.5]


def test_assess_reports_every_problem_with_its_cell():
    data = [r[:] for r in DATA]
    data[2][1] = "12,5"  # B3
    data[3][2] = "两项"  # C4
    got = PERF_ASSESS(INDICATORS, UNITS, data)
    assert got == [["#错误：数据!B3：“12,5” 不是有效数字"], ["#错误：数据!C4：“两项” 不是有效数字"]]


def test_assess_single_problem_is_one_cell():
    got = PERF_ASSESS(INDICATORS, UNITS, DATA, None, None, None, [["项目", "值"], ["否决效果", "降级"]])
    assert got == "#错误：设置!B2：否决效果 “降级” 无效（应为 不得评优、不合格 之一）"


def test_explain_column_and_one_unit():
    col_ = PERF_EXPLAIN(INDICATORS, UNITS, DATA, BONUS)
    assert col_[0] == ["说明"] and len(col_) == 5
    assert col_[3] == ["指标得分合计 78.00；加分 2；总分 80.00"]
    unit = PERF_EXPLAIN(INDICATORS, UNITS, DATA, None, None, None, None, "U4")
    assert unit[0] == ["指标", "说明"]
    assert unit[1][0] == "A1 地区生产总值" and unit[1][1].startswith("不适用")
    assert unit[2] == ["A2 安全事故", "扣分：40−1×5 = 35.00"]
    assert unit[3][0] == "总分" and "35.00×100/40 折算为 87.50" in unit[3][1]
    assert PERF_EXPLAIN(INDICATORS, UNITS, DATA, None, None, None, None, "Z9") == "#错误：单位编码 “Z9” 不在单位表中"


def test_results_are_plain_python_values():
    got = PERF_ASSESS(INDICATORS, UNITS, DATA)
    for row in got:
        for v in row:
            assert type(v) in (str, int, float), (v, type(v))


def test_windows_stand_ins_leave_nothing_behind():
    import sys

    import xlwings
    from support.xlstandin import windows_xlwings

    import perf_excel.udfs as udfs

    func, engines = xlwings.func, list(xlwings.engines)
    with windows_xlwings() as xl:
        assert hasattr(xl.module.PERF_RATIO, "__xlfunc__")
    assert not hasattr(udfs.PERF_RATIO, "__xlfunc__")
    assert sys.modules["perf_excel.udfs"] is udfs
    assert "pywintypes" not in sys.modules or sys.platform.startswith("win")
    assert xlwings.func is func and list(xlwings.engines) == engines


# --- weights (perf_excel.core.weights) ----------------------------------------------------
def test_ahp_consistent_matrix():
    # Row 1 is twice row 2 and four times row 3: w = 4/7, 2/7, 1/7; λmax = 3, CI = CR = 0; RI(3) = 0.58
    got = PERF_AHP([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])
    assert got == approx_rows(
        [
            ["指标", "权重"],
            ["C1", 4 / 7],
            ["C2", 2 / 7],
            ["C3", 1 / 7],
            ["λmax", 3.0],
            ["CI", 0.0],
            ["RI", 0.58],
            ["CR", 0.0],
            ["结论", "CR = 0.0000 < 0.1，判断矩阵通过一致性检验"],
        ],
        abs_=1e-9,
    )


def test_ahp_names_upper_triangle_and_fraction_text():
    # 经济 : 民生 = 1/3 → 民生 is three times as important: w = 1/4, 3/4
    got = PERF_AHP([["", "经济", "民生"], ["经济", 1, "1/3"], ["民生", None, 1]], "几何平均法")
    assert got[:3] == approx_rows([["指标", "权重"], ["经济", 0.25], ["民生", 0.75]], abs_=1e-9)


def test_ahp_inconsistent_matrix_says_so():
    # A cyclic judgement (1 ≻ 2 ≻ 3 ≻ 1, each 9 times) is as inconsistent as it gets.
    got = PERF_AHP([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    assert got[-1][1].endswith("未通过一致性检验，请调整判断后重新计算")


def test_entropy_hand_example():
    # X1 = 1,2,3 → z = 0, .5, 1 → p = 0, 1/3, 2/3 → e = (1/3·ln3 + 2/3·ln1.5)/ln3 = 0.579380, 1−e = 0.420620
    # X2 = 1,1,3 → z = 0, 0, 1 → p = 0, 0, 1 → e = 0, 1−e = 1
    # w = 0.420620/1.420620 = 0.296082, 1/1.420620 = 0.703918
    got = PERF_ENTROPY([["X1", "X2"], [1, 1], [2, 1], [3, 3]])
    assert got == approx_rows([["指标", "权重"], ["X1", 0.296082], ["X2", 0.703918]], abs_=1e-6)


def test_critic_hand_example_with_unit_column_and_directions():
    # z1 = 0, .5, 1 (σ = 0.5); z2 = 0, 0, 1 (σ = √(1/3) = 0.577350); r = 0.5/(√0.5·√(2/3)) = 0.866025
    # C1 = 0.5×0.133975 = 0.066987; C2 = 0.577350×0.133975 = 0.077350; w1 = 0.464102, w2 = 0.535898
    got = PERF_CRITIC([["单位", "X1", "X2"], ["甲", 1, 1], ["乙", 2, 1], ["丙", 3, 3]], [["正向", "+"]])
    assert got == approx_rows([["指标", "权重"], ["X1", 0.464102], ["X2", 0.535898]], abs_=1e-6)
    # 逆向 X2 (lower is better) mirrors z2 to 1, 1, 0: the correlation flips sign, 1 − r = 1.866025
    # C1 = 0.5×1.866025 = 0.933013; C2 = 0.577350×1.866025 = 1.077350; w1 = 0.464102 again
    rev = PERF_CRITIC([["X1", "X2"], [1, 1], [2, 1], [3, 3]], "+,-")
    assert rev[1][1] == pytest.approx(0.464102, abs=1e-6)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            lambda: PERF_ENTROPY([["X1", "X2"], [1, None], [2, 1], [3, 3]]),
            "#错误：区域 B2：数值为空（客观赋权需要完整的数据）",
        ),
        (
            lambda: PERF_ENTROPY([["X1", "X2"], [1, 1], [2, 1], [3, 3]], "+,-,+"),
            "#错误：给出了 3 个方向，但有 2 个指标",
        ),
        (
            lambda: PERF_AHP([["", "A", "B"], ["A", 1, 2], ["B", 3, 1]]),
            "#错误：区域 B3：“3” 与 C2 的 “2” 不互为倒数（乘积 6，应为 1，允许误差 5%）",
        ),
    ],
)
def test_weights_error_texts(call, expected):
    assert call() == expected
