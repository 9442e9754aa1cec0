"""事前绩效评估: projects at or above their amount threshold are scored, the rest listed as 不需评估."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from perf_excel.cli import main
from perf_excel.core.assess import assess
from perf_excel.core.build import build_scheme
from perf_excel.core.errors import InputError
from perf_excel.core.exante import default_threshold, parse_amount
from perf_excel.xlsx.reader import read_tables, read_workbook
from perf_excel.xlsx.sheets import result_rows

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_exante_2026.xlsx"


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [
        (5_000_000, 1, 5_000_000),
        ("5,000,000", 1, 5_000_000),
        ("500万", 1, 5_000_000),
        ("500万元", 1, 5_000_000),
        ("0.05亿", 1, 5_000_000),
        ("3000000元", 1, 3_000_000),
        (500, 10_000, 5_000_000),  # a 项目金额（万元） column
        ("5,00", 1, None),
        ("五百万", 1, None),
    ],
)
def test_parse_amount(value: object, scale: float, expected: float | None) -> None:
    assert parse_amount(value, scale) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("category", "expected"),
    [("基建项目", 5_000_000), ("基础设施建设", 5_000_000), ("其他项目", 3_000_000), ("信息化", 3_000_000)],
)
def test_default_thresholds(category: str, expected: float) -> None:
    assert default_threshold(category) == expected


def book(path: Path, settings: list[list[object]], projects: list[list[object]], amount_col: str = "项目金额（元）"):
    wb = Workbook()
    ws = wb.active
    ws.title = "设置"
    for row in [["项目", "值"], ["评估类型", "事前绩效评估"], *settings]:
        ws.append(row)
    ws = wb.create_sheet("指标")
    ws.append(["编码", "维度", "指标名称", "分值", "计分方法"])
    ws.append(["L01", "立项必要性", "政策相关性", 100, "直接"])
    ws = wb.create_sheet("单位")
    ws.append(["编码", "名称", "类别", amount_col])
    for code, kind, amount, _ in projects:
        ws.append([code, f"项目{code}", kind, amount])
    ws = wb.create_sheet("数据")
    ws.append(["单位编码", "L01"])
    for code, _, _, score in projects:
        ws.append([code, score])
    wb.save(path)
    return path


PROJECTS = [
    ["P1", "基建项目", 5_000_000, 85],  # exactly the threshold: evaluated
    ["P2", "基建项目", 4_999_999, None],  # just below: not evaluated, blank data is fine
    ["P3", "其他项目", 3_000_000, 70],
    ["P4", "其他项目", 2_999_999.5, "未填"],  # its data are not checked
    ["P5", "信息化", 3_200_000, 55],
]


def test_threshold_boundaries_and_exempt_rows(tmp_path: Path) -> None:
    path = book(tmp_path / "事前.xlsx", [["等次标准", "予以支持:80; 调整完善后予以支持:60; 不予支持:0"]], PROJECTS)
    scheme, data, warnings = read_workbook(path)
    assert [u.code for u in scheme.units] == ["P1", "P3", "P5"]
    assert [(u.code, reason) for u, reason in scheme.exempt] == [
        ("P2", "项目金额 4,999,999 元，低于基建项目评估门槛 5,000,000 元，不需评估"),
        ("P4", "项目金额 2,999,999.5 元，低于其他项目评估门槛 3,000,000 元，不需评估"),
    ]
    assert warnings == []
    results = assess(scheme, data)
    grades = dict(zip(results.table.index, results.table["grade"]))
    assert grades == {"P1": "予以支持", "P3": "调整完善后予以支持", "P5": "不予支持"}
    rows = result_rows(results)
    assert [r[0] for r in rows] == ["P1", "P3", "P5", "P2", "P4"]
    assert rows[3][-3:] == ["不需评估", "", "项目金额 4,999,999 元，低于基建项目评估门槛 5,000,000 元，不需评估"]


def test_thresholds_from_settings_and_amounts_in_wan(tmp_path: Path) -> None:
    projects = [["P1", "基建项目", 450, 90], ["P2", "其他项目", 250, 90], ["P3", "其他项目", 150, 90]]
    path = book(tmp_path / "t.xlsx", [["评估门槛", "基建项目:400万; 其他:200万"]], projects, "项目金额（万元）")
    scheme, _, _ = read_workbook(path)
    assert [u.code for u in scheme.units] == ["P1", "P2"]
    assert [u.code for u, _ in scheme.exempt] == ["P3"]


def test_amount_problems_name_their_cells(tmp_path: Path) -> None:
    projects = [["P1", "基建项目", None, 90], ["P2", "其他项目", "三百万", 90], ["P3", "其他项目", 4e6, "9O"]]
    path = book(tmp_path / "错.xlsx", [], projects)
    with pytest.raises(InputError) as exc:
        read_workbook(path)
    assert [str(p) for p in exc.value.problems] == [
        "错.xlsx 单位!D2：项目 “P1” 的项目金额为空（据此判断是否需要评估）",
        "错.xlsx 单位!D3：项目金额 “三百万” 不是有效金额",
        # rows of exempt or unreadable projects are dropped, yet P3's cell keeps its row number
        "错.xlsx 数据!B4：“9O” 不是有效数字",
    ]


def test_missing_amount_column(tmp_path: Path) -> None:
    path = book(tmp_path / "t.xlsx", [], [["P1", "基建项目", 6e6, 90]], "备注")
    _, _, problems = build_scheme(read_tables(path), file="t.xlsx")
    assert [str(p) for p in problems if p.is_error] == [
        "t.xlsx 单位：事前绩效评估的单位表（项目）缺少 “项目金额（元）” 列（或 “项目金额（万元）”）"
    ]


def test_demo_workbook(capsys: pytest.CaptureFixture) -> None:
    assert main(["score", str(DEMO), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    by = {r["unit"]: r for r in records}
    assert len(by) == 30
    # 基建 below 5,000,000 and others below 3,000,000, read off the project list by hand
    exempt = {"P03", "P05", "P08", "P12", "P14", "P17", "P21", "P24", "P25", "P27", "P30"}
    assert {u for u, r in by.items() if r["grade"] == "不需评估"} == exempt
    assert by["P04"]["grade"] != "不需评估" and by["P18"]["grade"] != "不需评估"
    scored = [r for r in records if r["grade"] != "不需评估"]
    dims = {"立项必要性", "投入经济性", "目标合理性", "方案可行性", "实施公正性", "绩效持续性"}
    assert all(set(r["dimensions"]) == dims for r in scored)
    for r in scored:
        t = r["total"]
        assert r["grade"] == ("予以支持" if t >= 80 else "调整完善后予以支持" if t >= 60 else "不予支持")
