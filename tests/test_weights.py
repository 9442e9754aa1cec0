"""Weights: AHP against published textbook matrices, entropy by hand, CRITIC against plain loops."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest

from perf_excel.core.errors import InputError
from perf_excel.core.tables import Table
from perf_excel.core.weights import (
    RI_TABLES,
    ahp,
    ahp_from_rows,
    apportion,
    critic_weights,
    data_from_table,
    entropy_weights,
    pairwise_from_table,
    parse_directions,
    random_index,
    weights_from_rows,
)

# --- AHP: published examples -----------------------------------------------------
# Saaty & Khouja (1976), reprinted in Saaty, The Analytic Hierarchy Process (1980), ch. 2:
# relative wealth of nations (US, USSR, China, France, UK, Japan, W. Germany).
# Published: eigenvector .427 .230 .021 .052 .052 .123 .094, λmax = 7.61, CI = 0.10, CR = 0.08.
WEALTH = [
    [1, 4, 9, 6, 6, 5, 5],
    [1 / 4, 1, 7, 5, 5, 3, 4],
    [1 / 9, 1 / 7, 1, 1 / 5, 1 / 5, 1 / 7, 1 / 5],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 5, 1 / 3, 7, 3, 3, 1, 2],
    [1 / 5, 1 / 4, 5, 3, 3, 1 / 2, 1],
]
# Saaty (1977), J. Math. Psychology 15, "A scaling method for priorities": brightness of four
# chairs at distances from a light. Published: .61 .24 .10 .05, λmax = 4.39 → CI = .13, CR = .14 ≥ 0.1.
LIGHT = [[1, 5, 6, 7], [1 / 5, 1, 4, 6], [1 / 6, 1 / 4, 1, 4], [1 / 7, 1 / 6, 1 / 4, 1]]
# 姜启源《数学模型》（高等教育出版社）层次分析模型, 旅游地选择 criteria matrix. Printed there:
# w = (0.263, 0.475, 0.055, 0.099, 0.110), λ = 5.073, CI = 0.018, CR = 0.016 — from an approximate
# method, so both the eigenvector and 和法 agree with the print only to about ±0.002.
TRAVEL = [
    [1, 1 / 2, 4, 3, 3],
    [2, 1, 7, 5, 5],
    [1 / 4, 1 / 7, 1, 1 / 2, 1 / 3],
    [1 / 3, 1 / 5, 2, 1, 1],
    [1 / 3, 1 / 5, 3, 1, 1],
]


@pytest.mark.parametrize(
    "matrix, method, weights, w_tol, lam, ci, cr, consistent",
    [
        (WEALTH, "eigen", (0.427, 0.230, 0.021, 0.052, 0.052, 0.123, 0.094), 0.0006, 7.61, 0.10, 0.08, True),
        (LIGHT, "eigen", (0.61, 0.24, 0.10, 0.05), 0.01, 4.39, 0.13, 0.14, False),
        (TRAVEL, "arithmetic", (0.263, 0.475, 0.055, 0.099, 0.110), 0.002, 5.073, 0.018, 0.016, True),
        (TRAVEL, "eigen", (0.263, 0.475, 0.055, 0.099, 0.110), 0.002, 5.073, 0.018, 0.016, True),
    ],
)
def test_ahp_published(matrix, method, weights, w_tol, lam, ci, cr, consistent):
    r = ahp(matrix, method=method)
    assert r.weights == pytest.approx(weights, abs=w_tol)
    assert sum(r.weights) == pytest.approx(1.0)
    # Published figures are rounded to their last printed digit.
    digits = len(str(lam).split(".")[1])
    assert r.lambda_max == pytest.approx(lam, abs=0.6 * 10**-digits + 1e-3)
    assert r.ci == pytest.approx(ci, abs=0.006)
    assert r.cr == pytest.approx(cr, abs=0.006)
    assert r.consistent is consistent


@pytest.mark.parametrize("method", ["eigen", "geometric", "arithmetic"])
def test_ahp_consistent_matrix_gives_exact_ratios(method):
    # aᵢⱼ = wᵢ/wⱼ with w = (.5, .3, .2): every method returns w, λmax = n, CI = CR = 0.
    w = (0.5, 0.3, 0.2)
    a = [[wi / wj for wj in w] for wi in w]
    r = ahp(a, names=["甲", "乙", "丙"], method=method)
    assert r.weights == pytest.approx(w, abs=1e-12)
    assert r.lambda_max == pytest.approx(3.0, abs=1e-9)
    assert r.ci == pytest.approx(0.0, abs=1e-9)
    assert r.consistent
    assert r.to_dict()["weights"] == pytest.approx({"甲": 0.5, "乙": 0.3, "丙": 0.2})


def test_ahp_geometric_by_hand():
    # Row products of [[1,2,4],[1/2,1,2],[1/4,1/2,1]] are 8, 1, 1/8; cube roots 2, 1, 1/2;
    # sum 3.5 → w = (4/7, 2/7, 1/7). The matrix is consistent, so λmax = 3.
    r = ahp([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]], method="geometric")
    assert r.weights == pytest.approx((4 / 7, 2 / 7, 1 / 7))
    assert r.lambda_max == pytest.approx(3.0)


def test_ahp_two_by_two_always_consistent():
    r = ahp([[1, 3], [1 / 3, 1]])
    assert r.weights == pytest.approx((0.75, 0.25))
    assert (r.cr, r.consistent) == (0.0, True)
    assert "2 阶判断矩阵总是完全一致" in r.verdict


def test_verdict_inconsistent_text():
    assert ahp(LIGHT).verdict.startswith("CR = 0.14") and "未通过一致性检验" in ahp(LIGHT).verdict


@pytest.mark.parametrize(
    "table, n, expected",
    [
        ("saaty", 3, 0.58),
        ("saaty", 10, 1.49),
        ("saaty", 12, 1.48),
        ("saaty", 15, 1.59),
        ("cn", 3, 0.52),
        ("cn", 4, 0.89),
        ("cn", 6, 1.26),
        ("cn", 15, 1.59),
    ],
)
def test_random_index(table, n, expected):
    assert random_index(n, table) == expected


def test_ri_tables_cover_15_and_the_default_prefix():
    assert RI_TABLES["saaty"][:10] == (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)
    assert all(len(t) == 15 for t in RI_TABLES.values())


def test_cr_uses_the_chosen_table():
    # CI of the wealth matrix is about 0.1013; RI(7) is 1.32 (Saaty) and 1.36 (cn).
    assert ahp(WEALTH, ri="cn").cr == pytest.approx(ahp(WEALTH).ci / 1.36)


@pytest.mark.parametrize(
    "matrix, message",
    [
        ([[1, 2, 3], [0.5, 1, 2]], "判断矩阵应为方阵"),
        ([[1, -2], [0.5, 1]], "都应为正数"),
        (np.ones((16, 16)), "超过 15 阶"),
    ],
)
def test_ahp_rejects(matrix, message):
    with pytest.raises(InputError, match=message):
        ahp(matrix)


# --- reading a pairwise sheet ---------------------------------------------------
def _table(rows, sheet="判断矩阵"):
    return Table.from_rows(sheet, rows, file="权重.xlsx")


def test_pairwise_upper_triangle_and_text_fractions():
    t = _table(
        [
            ["", "经济", "民生", "安全"],
            ["经济", 1, 2, "4"],
            ["民生", None, None, "2"],
            ["安全", "1/4", None, 1],
        ]
    )
    names, a = pairwise_from_table(t)
    assert names == ("经济", "民生", "安全")
    np.testing.assert_allclose(a, [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])


@pytest.mark.parametrize(
    "rows, expected",
    [
        (
            [["", "A", "B"], ["A", 1, 3], ["B", 0.5, 1]],
            ["权重.xlsx 判断矩阵!B3：“0.5” 与 C2 的 “3” 不互为倒数（乘积 1.5，应为 1，允许误差 5%）"],
        ),
        (
            [["", "A", "B"], ["A", 1, 0], ["B", None, 1]],
            ["权重.xlsx 判断矩阵!C2：“0” 应为正数（判断矩阵的元素都大于 0）"],
        ),
        (
            [["", "A", "B"], ["A", 1, "三"], ["B", None, 1]],
            ["权重.xlsx 判断矩阵!C2：“三” 不是有效数字（应为 1–9 标度或其倒数，如 3、1/3）"],
        ),
        (
            [["", "A", "B"], ["A", 2, 3], ["B", None, 1]],
            ["权重.xlsx 判断矩阵!B2：对角线元素 “2” 应为 1（指标与自身同等重要）"],
        ),
        (
            [["", "A", "B"], ["A", 1, None], ["B", None, 1]],
            ["权重.xlsx 判断矩阵!C2：A 与 B 的比较为空（C2 与 B3 至少填一个）"],
        ),
        (
            [["", "A", "B"], ["B", 1, 3], ["A", None, 1]],
            [
                "权重.xlsx 判断矩阵!A2：行名称 “B”，应为 “A”，与第一行的顺序一致",
                "权重.xlsx 判断矩阵!A3：行名称 “A”，应为 “B”，与第一行的顺序一致",
            ],
        ),
        (
            [["", "A", "B", "C"], ["A", 1, 3, 3], ["B", None, 1, 3]],
            ["权重.xlsx 判断矩阵：判断矩阵应为方阵：第一行有 3 个指标，第一列有 2 个（A、B、C）"],
        ),
        (
            [["", "A", "B"], ["A", 1, datetime(2025, 1, 3)], ["B", None, 1]],
            [
                "权重.xlsx 判断矩阵!C2：“2025-01-03 00:00:00” 是日期：在 Excel 中直接输入 1/3 会变成日期，"
                "请输入 =1/3 或 0.3333"
            ],
        ),
    ],
)
def test_pairwise_problems_name_the_cell(rows, expected):
    with pytest.raises(InputError) as exc:
        pairwise_from_table(_table(rows))
    assert [str(p) for p in exc.value.problems] == expected


def test_pairwise_tolerates_rounded_reciprocals():
    # 0.33 × 3 = 0.99 and 0.14 × 7 = 0.98: within the 5 % tolerance.
    t = _table([["", "A", "B", "C"], ["A", 1, 3, 7], ["B", 0.33, 1, 3], ["C", 0.14, 0.33, 1]])
    names, a = pairwise_from_table(t)
    assert a[1, 0] == 0.33


def test_pairwise_more_than_15():
    names = [f"X{i}" for i in range(16)]
    rows = [["", *names]] + [[n] + [1] * 16 for n in names]
    with pytest.raises(InputError, match="超过 15 个"):
        pairwise_from_table(_table(rows))


# --- entropy ------------------------------------------------------------------
def test_entropy_by_hand():
    # X1 正向 10, 20, 30 → z = 0, .5, 1 → p = 0, 1/3, 2/3
    #   e1 = −(1/3·ln 1/3 + 2/3·ln 2/3)/ln 3 = (0.366204 + 0.270310)/1.098612 = 0.579380
    # X2 逆向 5, 5, 1 → z = (5−x)/4 = 0, 0, 1 → p = 0, 0, 1 → e2 = 0 (0·ln 0 = 0)
    # d = (0.420620, 1); w1 = 0.420620/1.420620 = 0.296082, w2 = 0.703918
    r = entropy_weights([[10, 5], [20, 5], [30, 1]], [True, False], ["X1", "X2"])
    e1 = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / math.log(3)
    assert r.details["entropy"] == pytest.approx((e1, 0.0))
    assert r.details["entropy"][0] == pytest.approx(0.579380, abs=1e-6)
    assert r.weights == pytest.approx((0.296082, 0.703918), abs=1e-6)
    assert r.to_dict()["directions"] == {"X1": "正向", "X2": "逆向"}


def test_entropy_uniform_spread_column():
    # 4 units, X 正向 0, 1, 2, 3 → z = 0, 1/3, 2/3, 1 → p = 0, 1/6, 2/6, 3/6
    #   e = −(1/6 ln 1/6 + 1/3 ln 1/3 + 1/2 ln 1/2)/ln 4 = (0.298627 + 0.366204 + 0.346574)/1.386294 = 0.729573
    # Y 正向 0, 0, 0, 1 → p = 0, 0, 0, 1 → e = 0.  w_X = 0.270427/1.270427 = 0.212862
    r = entropy_weights([[0, 0], [1, 0], [2, 0], [3, 1]], [True, True])
    assert r.details["entropy"][0] == pytest.approx(0.729573, abs=1e-6)
    assert r.weights[0] == pytest.approx(0.212862, abs=1e-6)


def _entropy_loops(rows, positive):
    """Independent plain-Python entropy weights (no numpy), straight from the issue's formulas."""
    m, k = len(rows), len(rows[0])
    d = []
    for j in range(k):
        col = [rows[i][j] for i in range(m)]
        lo, hi = min(col), max(col)
        z = [((x - lo) if positive[j] else (hi - x)) / (hi - lo) for x in col]
        s = sum(z)
        e = 0.0
        for v in z:
            p = v / s
            if p > 0:
                e -= p * math.log(p)
        d.append(1 - e / math.log(m))
    return [x / sum(d) for x in d]


DATA = [
    [92.0, 3.1, 15.0, 0.8],
    [85.5, 4.7, 11.0, 1.9],
    [78.0, 2.2, 19.0, 0.3],
    [96.5, 5.9, 8.0, 2.4],
    [88.0, 3.8, 13.5, 1.1],
    [70.5, 1.5, 21.0, 0.6],
]
DIRS = [True, True, False, True]


def test_entropy_matches_plain_loops():
    assert entropy_weights(DATA, DIRS).weights == pytest.approx(_entropy_loops(DATA, DIRS), abs=1e-12)


def test_entropy_constant_column_weight_zero_others_unchanged():
    with_const = [r[:2] + [7.0] + r[2:] for r in DATA]
    r = entropy_weights(with_const, DIRS[:2] + [True] + DIRS[2:], ["a", "b", "c", "d", "e"])
    assert r.weights[2] == 0.0
    assert r.weights[:2] + r.weights[3:] == pytest.approx(entropy_weights(DATA, DIRS).weights)
    assert r.notes == ("指标 “c” 各单位数值相同，不提供信息，权重为 0",)


def test_entropy_invariant_to_scale_and_shift():
    scaled = [[x * 10 + 3 for x in r] for r in DATA]
    assert entropy_weights(scaled, DIRS).weights == pytest.approx(entropy_weights(DATA, DIRS).weights)


@pytest.mark.parametrize(
    "data, dirs, message",
    [
        ([[1, 2]], [True, True], "至少需要 2 个"),
        ([[1, 2], [3, float("nan")]], [True, True], "空值"),
        ([[1, 2], [3, 4]], [True], "方向有 1 个"),
        ([[1, 2], [1, 2]], [True, True], "都相同"),
    ],
)
def test_objective_weights_reject(data, dirs, message):
    for fn in (entropy_weights, critic_weights):
        with pytest.raises(InputError, match=message):
            fn(data, dirs)


# --- CRITIC -------------------------------------------------------------------
def _critic_loops(rows, positive, ddof=1):
    """Independent plain-Python CRITIC (Diakoulaki 1995) with loops and no numpy."""
    m, k = len(rows), len(rows[0])
    z = [[0.0] * k for _ in range(m)]
    for j in range(k):
        col = [rows[i][j] for i in range(m)]
        lo, hi = min(col), max(col)
        for i in range(m):
            z[i][j] = ((col[i] - lo) if positive[j] else (hi - col[i])) / (hi - lo)
    mean = [sum(z[i][j] for i in range(m)) / m for j in range(k)]
    sd = [math.sqrt(sum((z[i][j] - mean[j]) ** 2 for i in range(m)) / (m - ddof)) for j in range(k)]
    c = []
    for j in range(k):
        conflict = 0.0
        for q in range(k):
            cov = sum((z[i][j] - mean[j]) * (z[i][q] - mean[q]) for i in range(m))
            var_j = sum((z[i][j] - mean[j]) ** 2 for i in range(m))
            var_q = sum((z[i][q] - mean[q]) ** 2 for i in range(m))
            conflict += 1 - cov / math.sqrt(var_j * var_q)
        c.append(sd[j] * conflict)
    return [x / sum(c) for x in c], sd


@pytest.mark.parametrize("dirs", [DIRS, [True] * 4, [False, True, False, False]])
def test_critic_matches_plain_loops(dirs):
    expected, sd = _critic_loops(DATA, dirs)
    r = critic_weights(DATA, dirs)
    assert r.weights == pytest.approx(expected, abs=1e-12)
    assert r.details["sigma"] == pytest.approx(sd, abs=1e-12)


def test_critic_population_or_sample_std_same_weights():
    assert _critic_loops(DATA, DIRS, ddof=0)[0] == pytest.approx(critic_weights(DATA, DIRS).weights, abs=1e-12)


def test_critic_constant_column_weight_zero_others_as_if_absent():
    with_const = [[5.0] + r for r in DATA]
    r = critic_weights(with_const, [True] + DIRS)
    assert r.weights[0] == 0.0
    assert r.weights[1:] == pytest.approx(critic_weights(DATA, DIRS).weights)


# --- directions, data tables, apportion ------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("+,-,+", (True, False, True)),
        ("正向，逆向、正向", (True, False, True)),
        ("+-+", (True, False, True)),
        ("positive negative", (True, False)),
    ],
)
def test_parse_directions(text, expected):
    assert parse_directions(text) == expected


def test_parse_directions_errors():
    with pytest.raises(InputError, match="方向 “上” 无效"):
        parse_directions("+,上")
    with pytest.raises(InputError, match="给出了 2 个方向，但有 3 个指标"):
        parse_directions("+,-", 3)


def test_data_from_table_skips_labels():
    t = Table.from_rows(
        "数据",
        [["单位名称", "类别", "GDP", "能耗"], ["甲县", "县", 10, "5"], ["乙县", "县", 20, 3], ["丙县", "县", 30, 1]],
        file="d.xlsx",
    )
    names, units, x = data_from_table(t)
    assert names == ("GDP", "能耗")
    assert units == ("甲县", "乙县", "丙县")
    assert x.tolist() == [[10, 5], [20, 3], [30, 1]]


def test_data_from_table_first_text_column_is_a_label():
    t = Table.from_rows("Sheet1", [["地区", "x", "y"], ["甲", 1, 2], ["乙", 3, 4]])
    assert data_from_table(t)[0] == ("x", "y")


def test_data_from_table_errors_name_cells():
    t = Table.from_rows("数据", [["单位", "x", "y"], ["甲", None, 2], ["乙", "不适用", 4]], file="d.xlsx")
    with pytest.raises(InputError) as exc:
        data_from_table(t)
    assert [str(p) for p in exc.value.problems] == [
        "d.xlsx 数据!B2：数值为空（客观赋权需要完整的数据）",
        "d.xlsx 数据!B3：“不适用” 不是有效数字",
    ]


@pytest.mark.parametrize(
    "weights, total, decimals, expected",
    [
        # 26.34 47.58 5.38 9.81 10.87 → floors sum to 97; the 3 largest remainders (.87 .81 .58) get +1.
        ([0.2634, 0.4758, 0.0538, 0.0981, 0.1087], 100, 0, [26, 48, 5, 10, 11]),
        # 33.333… each → 33.3 ×3 = 99.9; one step of 0.1 left, the tie goes to the first.
        ([1, 1, 1], 100, 1, [33.4, 33.3, 33.3]),
        ([0.5, 0.3, 0.2], 20, 0, [10, 6, 4]),
        # 2/7·10 = 2.857, 5/7·10 = 7.143 → 2 + 7 = 9, the larger remainder (.857) takes the last point.
        ([2, 5], 10, 0, [3, 7]),
    ],
)
def test_apportion_largest_remainder(weights, total, decimals, expected):
    out = apportion(weights, total, decimals)
    assert out == expected
    assert sum(out) == pytest.approx(total)


# --- the command line -------------------------------------------------------------
def _workbook(path, sheets):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)


MATRIX = [["", "经济", "民生", "安全"], ["经济", 1, 2, 4], ["民生", None, 1, 2], ["安全", None, None, 1]]


def test_cli_ahp_json(tmp_path, capsys):
    import json

    from perf_excel import cli

    _workbook(tmp_path / "m.xlsx", {"判断矩阵": MATRIX})
    assert cli.main(["weights", "ahp", str(tmp_path / "m.xlsx"), "--json", "--ri", "cn"]) == 0
    out = json.loads(capsys.readouterr().out)
    # Consistent matrix with ratios 4 : 2 : 1.
    assert out["weights"] == pytest.approx({"经济": 4 / 7, "民生": 2 / 7, "安全": 1 / 7})
    assert out["consistent"] is True and out["ri"] == 0.52 and out["cr"] == pytest.approx(0, abs=1e-9)


def test_cli_entropy_text_and_csv(tmp_path, capsys):
    from perf_excel import cli

    (tmp_path / "d.csv").write_text("单位,X1,X2\n甲,10,5\n乙,20,5\n丙,30,1\n", encoding="gbk")
    assert cli.main(["weights", "entropy", str(tmp_path / "d.csv"), "--directions", "正向,逆向"]) == 0
    out = capsys.readouterr().out
    # The hand-checked example above: w = 0.2961, 0.7039.
    assert "0.2961" in out and "0.7039" in out and "逆向" in out


def test_cli_bad_matrix_exit_1(tmp_path, capsys):
    from perf_excel import cli

    _workbook(tmp_path / "m.xlsx", {"判断矩阵": [["", "A", "B"], ["A", 1, 3], ["B", 3, 1]]})
    assert cli.main(["weights", "ahp", str(tmp_path / "m.xlsx")]) == 1
    assert "m.xlsx 判断矩阵!B3：“3” 与 C2 的 “3” 不互为倒数" in capsys.readouterr().err


def test_cli_apply_writes_only_the_points(tmp_path, capsys):
    import zipfile

    from openpyxl import load_workbook

    from perf_excel import cli

    book = tmp_path / "考核.xlsx"
    indicators = [
        ["编码", "维度", "指标名称", "分值", "计分方法"],
        ["K1", "甲", "经济", 10, "直接"],
        ["K2", "甲", "民生", 10, "直接"],
        ["K3", "甲", "安全", None, "直接"],  # blank 分值: the cell is created
    ]
    _workbook(book, {"设置": [["项目", "值"], ["考核名称", "测试"]], "指标": indicators, "判断矩阵": MATRIX})
    before = {i.filename: zipfile.ZipFile(book).read(i) for i in zipfile.ZipFile(book).infolist()}
    code = cli.main(["weights", "ahp", str(book), "--apply", str(book), "--total", "100", "--decimals", "0"])
    assert code == 0, capsys.readouterr().err
    # 4/7, 2/7, 1/7 of 100 = 57.14, 28.57, 14.29 → 57 + 28 + 14 = 99; the largest remainder (.57) gets 1.
    ws = load_workbook(book)["指标"]
    assert [ws[f"D{r}"].value for r in (2, 3, 4)] == [57, 29, 14]
    assert (tmp_path / "考核.xlsx.bak").read_bytes() != book.read_bytes()
    after = {i.filename: zipfile.ZipFile(book).read(i) for i in zipfile.ZipFile(book).infolist()}
    changed = [n for n in before if before[n] != after[n]]
    assert len(changed) == 1 and changed[0].startswith("xl/worksheets/")
    assert "已把分值写入 考核.xlsx 的指标表（合计 100）：经济 57，民生 29，安全 14" in capsys.readouterr().out


def test_cli_apply_unknown_name(tmp_path, capsys):
    from perf_excel import cli

    book = tmp_path / "考核.xlsx"
    _workbook(book, {"指标": [["编码", "指标名称", "分值"], ["K1", "经济", 10]], "判断矩阵": MATRIX})
    assert cli.main(["weights", "ahp", str(book), "--apply", str(book)]) == 1
    err = capsys.readouterr().err
    assert "考核.xlsx 指标：“民生” 既不是指标编码也不是指标名称，无法写入分值（现有编码：K1）" in err
    assert not (tmp_path / "考核.xlsx.bak").exists()


def test_patch_cells_keeps_style_and_drops_formula():
    from perf_excel.cli.weights import patch_cells

    xml = (
        '<worksheet><sheetData><row r="2"><c r="A2" t="s"><v>0</v></c><c r="D2" s="3"><f>B2*2</f><v>4</v></c>'
        '</row><row r="3" spans="1:4"><c r="A3" t="s"><v>1</v></c><c r="E3"><v>1</v></c></row></sheetData></worksheet>'
    )
    out, had_formula = patch_cells(xml, {"D2": 57, "D3": 28.5})
    assert had_formula
    assert '<c r="D2" s="3"><v>57</v></c>' in out
    assert '<c r="A3" t="s"><v>1</v></c><c r="D3"><v>28.5</v></c><c r="E3">' in out


def test_data_from_table_selected_columns():
    t = Table.from_rows("数据", [["单位", "x", "y", "z"], ["甲", 1, "优", 2], ["乙", 3, "良", 5]], file="d.xlsx")
    names, _, x = data_from_table(t, ["z", "x"])
    assert names == ("z", "x") and x.tolist() == [[2, 1], [5, 3]]
    with pytest.raises(InputError, match="没有名为 “w” 的列"):
        data_from_table(t, ["w"])


@pytest.mark.parametrize(
    "rows",
    [
        [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]],  # a bare block of numbers
        [[None, "甲", "乙", "丙"], ["甲", 1, 2, 4], ["乙", None, 1, 2], ["丙", None, None, 1]],
        [[1, "2", "4"], ["1/2", 1, 2], [0.25, 0.5, 1]],  # fractions typed as text
    ],
)
def test_ahp_from_rows(rows):
    r = ahp_from_rows(rows)
    assert r.weights == pytest.approx((4 / 7, 2 / 7, 1 / 7))


@pytest.mark.parametrize(
    "rows, directions",
    [
        ([["X1", "X2"], [10, 5], [20, 5], [30, 1]], "+,-"),
        ([[10, 5], [20, 5], [30, 1]], [["正向", "逆向"]]),
        ([["单位", "X1", "X2"], ["甲", 10, 5], ["乙", 20, 5], ["丙", 30, 1]], [["+"], ["-"]]),
    ],
)
def test_weights_from_rows(rows, directions):
    r = weights_from_rows(rows, directions, "entropy")
    assert r.weights == pytest.approx((0.296082, 0.703918), abs=1e-6)


def test_cli_needs_sheet_when_ambiguous(tmp_path, capsys):
    from perf_excel import cli

    _workbook(tmp_path / "m.xlsx", {"说明": [["这是说明"]], "矩阵": MATRIX})
    assert cli.main(["weights", "ahp", str(tmp_path / "m.xlsx")]) == 1
    assert "m.xlsx：没有名为“判断矩阵”的工作表，请用 --sheet 指定（现有：说明、矩阵）" in capsys.readouterr().err
    assert cli.main(["weights", "ahp", str(tmp_path / "m.xlsx"), "--sheet", "矩阵"]) == 0
