"""Data-anomaly warnings: planted anomalies in a small scheme, found exactly, and nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from perf_excel import cli
from perf_excel.core.anomalies import find_anomalies, history_from_table, robust_z
from perf_excel.core.assess import assess
from perf_excel.core.build import build_scheme
from perf_excel.core.tables import Table
from perf_excel.xlsx.history import collect_anomalies, derive_all

F = "异动.xlsx"
UNITS = ["A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2"]
INDICATORS = [
    ["编码", "维度", "指标名称", "分值", "计分方法", "目标值", "每项扣分", "公式", "合理下限", "合理上限"],
    ["X", "甲", "任务完成率", 40, "完成比例", 100, None, None, 0, 150],
    ["Y", "甲", "投资完成额", 30, "完成比例", 50, None, None, None, None],
    ["D", "乙", "安全事故", 10, "扣分", None, 2, None, None, None],
    ["K", "乙", "每万元投入带动就业", 20, "完成比例", 2, None, "E / (F / 10000)", None, None],
]
# Planted: X of A6 = 160 (above 合理上限 150, and an outlier among 县: median 100.5, MAD 1.5,
# z = 0.6745 × 59.5 / 1.5 = 40.13275 / 1.5 = 26.7552); X of B2 blank; Y of A5 49 against 30 in 2024 (+63.3 %);
# K of A1 = 30/(200000/10000) = 1.5 against 20/(200000/10000) = 1.0 in 2024 (+50.0 %); E of B2 blank.
DATA = [
    ["单位编码", "X", "Y", "D", "E", "F"],
    ["A1", 100, 50, 0, 30, 200000],
    ["A2", 102, 52, 1, 20, 100000],
    ["A3", 98, 48, 0, 25, 125000],
    ["A4", 101, 51, 3, 22, 110000],
    ["A5", 99, 49, 0, 28, 140000],
    ["A6", 160, 50, 0, 24, 120000],
    ["B1", 95, 40, 0, 10, 50000],
    ["B2", None, "不适用", 0, None, 50000],
]
HISTORY = [
    ["单位编码", "年度", "X", "Y", "D", "E", "F"],
    # 2024: the year compared with (考核年度 2025).
    ["A1", 2024, 100, 50, 0, 20, 200000],
    ["A2", 2024, 102, 52, 0, 20, 100000],
    ["A3", 2024, 98, 48, 0, 25, 125000],
    ["A4", "2024年", 101, 51, 0, 22, 110000],
    ["A5", 2024, 99, 30, 0, 28, 140000],
    ["A6", 2024, 160, 50, 0, 24, 120000],
    ["B1", 2024, 95, 40, 2, 10, 50000],
    ["B2", 2024, 90, 45, 0, 10, 50000],
    # Older and same-year rows must not be used.
    ["A1", 2023, 10, 10, 0, 1, 200000],
    ["A2", 2025, 999, 999, 0, 1, 1],
]


def _tables(settings=(), history=True) -> dict[str, Table]:
    tables = {
        "设置": Table.from_rows("设置", [["项目", "值"], ["考核年度", "2025"], *settings], F),
        "指标": Table.from_rows("指标", INDICATORS, F),
        "单位": Table.from_rows("单位", [["编码", "名称", "类别"]] + [[u, f"单位{u}", u[0]] for u in UNITS], F),
        "数据": Table.from_rows("数据", DATA, F),
    }
    if history:
        tables["历年"] = Table.from_rows("历年", HISTORY, F)
    return tables


def _find(settings=(), history=True):
    tables = _tables(settings, history)
    scheme, data, problems = build_scheme(tables, F)
    assert [p for p in problems if p.is_error] == []
    hist = history_from_table(tables["历年"], F)[0] if history else None
    return find_anomalies(scheme, derive_all(scheme, data), hist, F)


def test_planted_anomalies_and_no_others():
    anomalies, problems = _find()
    assert problems == []
    assert [(a.kind, a.unit, a.indicator, a.cell) for a in anomalies] == [
        ("缺失", "B2", "X", "B9"),
        ("缺失", "B2", "K", "E9"),  # the blank input E of the derived K, named by its cell
        ("超出合理范围", "A6", "X", "B7"),
        ("同比异动", "A5", "Y", "C6"),
        ("同比异动", "A1", "K", "A2"),  # derived: no cell of its own → the unit's row
        ("离群", "A6", "X", "B7"),
    ]


def test_messages_name_value_comparison_and_cell():
    anomalies, _ = _find()
    assert [str(a.to_problem()) for a in anomalies] == [
        "异动.xlsx 数据!B9：【缺失】单位 “B2”（单位B2）的指标 “X”（任务完成率）未填报，该指标计 0 分",
        "异动.xlsx 数据!E9：【缺失】单位 “B2”（单位B2）的指标 “K”（每万元投入带动就业）的计算数据 “E” 未填报，该指标计 0 分",
        "异动.xlsx 数据!B7：【超出合理范围】单位 “A6”（单位A6）的指标 “X”（任务完成率）为 160，高于合理上限 150（合理范围 0–150）",
        "异动.xlsx 数据!C6：【同比异动】单位 “A5”（单位A5）的指标 “Y”（投资完成额）为 49，"
        "上年（2024年，历年!D6）为 30，同比 +63.3%，超过异动阈值 30%",
        "异动.xlsx 数据!A2：【同比异动】单位 “A1”（单位A1）的指标 “K”（每万元投入带动就业）为 1.5，"
        "上年（2024年，由公式计算）为 1，同比 +50.0%，超过异动阈值 30%",
        "异动.xlsx 数据!B7：【离群】单位 “A6”（单位A6）的指标 “X”（任务完成率）为 160，"
        "明显高于“A”类中位数 100.5（稳健 z 值 26.76，离群阈值 3.5）",
    ]
    assert anomalies[3].to_record() == {
        "类型": "同比异动",
        "单位编码": "A5",
        "单位名称": "单位A5",
        "指标编码": "Y",
        "指标名称": "投资完成额",
        "数值": 49.0,
        "说明": "上年（2024年，历年!D6）为 30，同比 +63.3%，超过异动阈值 30%",
        "位置": "数据!C6",
    }


@pytest.mark.parametrize(
    "settings, kinds",
    [
        # 60 %: +63.3 % still flagged, +50 % not.
        ([["异动阈值", "60%"]], [("同比异动", "A5", "Y"), ("离群", "A6", "X")]),
        ([["异动阈值", 0.6]], [("同比异动", "A5", "Y"), ("离群", "A6", "X")]),
        ([["异动阈值", "关闭"]], [("离群", "A6", "X")]),
        ([["离群阈值", 30]], [("同比异动", "A5", "Y"), ("同比异动", "A1", "K")]),  # z 26.76 < 30
        ([["离群阈值", 26.7]], [("同比异动", "A5", "Y"), ("同比异动", "A1", "K"), ("离群", "A6", "X")]),
    ],
)
def test_thresholds_from_settings(settings, kinds):
    anomalies, problems = _find(settings)
    assert problems == []
    got = [(a.kind, a.unit, a.indicator) for a in anomalies if a.kind in ("同比异动", "离群")]
    assert got == kinds


def test_bad_threshold_is_a_warning_and_the_default_holds():
    anomalies, problems = _find([["异动阈值", "很多"]])
    assert [str(p) for p in problems] == ["异动.xlsx 设置!B3：异动阈值 “很多” 无效，按默认 30% 检查"]
    assert sum(a.kind == "同比异动" for a in anomalies) == 2


def test_without_history_no_year_on_year():
    anomalies, _ = _find(history=False)
    assert [a.kind for a in anomalies] == ["缺失", "缺失", "超出合理范围", "离群"]


def test_warnings_never_change_scores():
    tables = _tables()
    scheme, data, _ = build_scheme(tables, F)
    before = assess(scheme, data)
    _find()
    collect_anomalies(scheme, data, tables, F)
    after = assess(scheme, data)
    assert before.table["total"].tolist() == after.table["total"].tolist()


def test_robust_z_by_hand():
    # median 3, |x − 3| = 2 1 0 1 97 → MAD 1 → z = 0.6745 (x − 3)
    z = robust_z(np.array([1.0, 2, 3, 4, 100]))
    assert z == pytest.approx([-1.349, -0.6745, 0, 0.6745, 65.4265])
    assert np.isnan(robust_z(np.array([5.0, 5, 5, 5, 9]))).all()  # MAD 0: no z-scores


def test_history_rows_with_bad_years_are_warnings():
    t = Table.from_rows("历年", [["单位编码", "年度", "X"], ["A1", "去年", 1], ["A1", 2024, 2], ["A1", 2024, 3]], F)
    history, problems = history_from_table(t, F)
    assert [str(p) for p in problems] == [
        "异动.xlsx 历年!B2：年度 “去年” 无效（应为 2024 或 2024年），这一行已忽略",
        "异动.xlsx 历年!A4：单位 “A1” 的 2024 年数据重复（已见于 A3），以首行为准",
    ]
    assert history.years["2024"].loc["A1", "X"] == 2


# --- the check command with --previous -----------------------------------------------
def _save(tables: dict[str, Table], path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, t in tables.items():
        ws = wb.create_sheet(name)
        ws.append(list(t.columns))
        for r in t.rows:
            ws.append(list(r))
    wb.save(path)


def test_check_with_previous_workbook(tmp_path, capsys):
    current = tmp_path / "考核2025.xlsx"
    _save(_tables(history=False), current)
    prev = _tables(history=False)
    prev["设置"] = Table.from_rows("设置", [["项目", "值"], ["考核年度", "2024年"]])
    rows = [list(r) for r in HISTORY[1:9]]
    prev["数据"] = Table.from_rows("数据", [DATA[0]] + [[r[0], *r[2:]] for r in rows])
    _save(prev, tmp_path / "考核2024.xlsx")
    code = cli.main(["check", str(current), "--previous", str(tmp_path / "考核2024.xlsx")])
    out = capsys.readouterr().out
    assert code == 0
    yoy = [line for line in out.splitlines() if "同比异动" in line]
    assert yoy == [
        "警告  考核2025.xlsx 数据!C6：【同比异动】单位 “A5”（单位A5）的指标 “Y”（投资完成额）为 49，"
        "上年（2024年，考核2024.xlsx 数据!C6）为 30，同比 +63.3%，超过异动阈值 30%",
        "警告  考核2025.xlsx 数据!A2：【同比异动】单位 “A1”（单位A1）的指标 “K”（每万元投入带动就业）为 1.5，"
        "上年（2024年，由公式计算）为 1，同比 +50.0%，超过异动阈值 30%",
    ]
    assert "检查通过" in out


def test_check_reports_division_by_zero_as_error(tmp_path, capsys):
    tables = _tables(history=False)
    rows = [list(r) for r in DATA]
    rows[3][5] = 0  # F of A3
    tables["数据"] = Table.from_rows("数据", rows)
    _save(tables, tmp_path / "t.xlsx")
    assert cli.main(["check", str(tmp_path / "t.xlsx")]) == 1
    out = capsys.readouterr().out
    assert "错误  t.xlsx 数据!F4：单位 “A3” 的指标 “K” 公式 “E / (F / 10000)” 除数为 0（F / 10000 = 0）" in out
