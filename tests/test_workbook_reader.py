"""The workbook reader: tolerant where clerks expect it, strict where a guess would be wrong,
every problem of a workbook reported at once with its cell, one sentence for a bad file."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from perf_excel.cli import main
from perf_excel.core.build import build_scheme
from perf_excel.core.errors import InputError
from perf_excel.xlsx.reader import read_tables, read_workbook

IND_HEADER = ["编码", "维度", "指标名称", "分值", "计分方法", "目标值", "计量单位"]


def make_book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def simple_sheets(values: list[object], unit: str = "%") -> dict[str, list[list[object]]]:
    """One ratio indicator (target 100, 100 points) and one unit per value."""
    codes = [f"U{k}" for k in range(len(values))]
    return {
        "指标": [IND_HEADER, ["A01", "维度一", "完成率", 100, "完成比例", 100, unit]],
        "单位": [["编码", "名称", "类别"], *[[c, f"单位{c}", "甲类"] for c in codes]],
        "数据": [["单位编码", "A01"], *[[c, v] for c, v in zip(codes, values)]],
    }


@pytest.mark.parametrize(
    ("typed", "unit", "expected"),
    [
        (95, "%", 95.0),
        ("95", "%", 95.0),
        (" 95 ", "%", 95.0),
        ("９５", "%", 95.0),
        ("95%", "%", 95.0),  # the column is in percent: 95% is 95
        ("95%", "", 0.95),  # a plain column: 95% is the number 0.95
        ("1,200", "万元", 1200.0),
        ("1,234.5", "万元", 1234.5),
        ("-3.5", "", -3.5),
    ],
)
def test_tolerant_numbers(tmp_path: Path, typed: object, unit: str, expected: float) -> None:
    path = make_book(tmp_path / "t.xlsx", simple_sheets([typed], unit))
    _, data, _ = read_workbook(path)
    assert data.values.at["U0", "A01"] == pytest.approx(expected)


@pytest.mark.parametrize("typed", ["48,7", "12,5", "1,20", "九十", "95 %%", "1.2.3", "#12"])
def test_strict_numbers_are_errors_with_their_cell(tmp_path: Path, typed: str) -> None:
    path = make_book(tmp_path / "考核表.xlsx", simple_sheets([90, typed]))
    with pytest.raises(InputError) as exc:
        read_workbook(path)
    assert [str(p) for p in exc.value.problems] == [f"考核表.xlsx 数据!B3：“{typed}” 不是有效数字"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("#DIV/0!", "公式出错 “#DIV/0!”，请检查该单元格的公式"),
        ("#N/A", "公式出错 “#N/A”，请检查该单元格的公式"),
        ("=1/3", "公式没有计算结果（文件未在 Excel 中保存过），请在 Excel 中打开、保存后重试"),
    ],
)
def test_formula_errors_and_uncalculated_formulas_are_not_blanks(tmp_path: Path, typed: str, message: str) -> None:
    # python-calamine shows both as empty cells; scored as blanks they would silently give 0.
    path = make_book(tmp_path / "考核表.xlsx", simple_sheets([90, typed]))
    with pytest.raises(InputError) as exc:
        read_workbook(path)
    assert [str(p) for p in exc.value.problems] == [f"考核表.xlsx 数据!B3：{message}"]


def test_blank_and_not_applicable(tmp_path: Path) -> None:
    path = make_book(tmp_path / "t.xlsx", simple_sheets([None, "不适用", " 不适用 "]))
    _, data, _ = read_workbook(path)
    assert math.isnan(data.values.at["U0", "A01"])
    assert not data.not_applicable.at["U0", "A01"]
    assert data.not_applicable.at["U1", "A01"] and data.not_applicable.at["U2", "A01"]


def test_aliases_free_order_title_rows_trailing_rows_and_extra_columns(tmp_path: Path) -> None:
    path = make_book(
        tmp_path / "t.xlsx",
        {
            "Indicators": [
                ["2025年度指标体系（标题行）"],
                [],
                ["method", "points", "note", "code", "dimension", "target"],
                ["完成比例", 100, "说明文字", "A01", "维度一", 80],
            ],
            "units": [["category", "code", "name", "联系人"], ["甲类", "X1", "一号单位", "张三"]],
            "Data": [["备注", "A01", "code"], ["核实过", 60, "X1"], [None, None, None], [None, None, None]],
        },
    )
    tables = read_tables(path)
    assert set(tables) == {"指标", "单位", "数据"}
    assert tables["单位"].columns == ("category", "code", "name", "联系人")  # extra column kept
    assert tables["指标"].header_row == 3
    assert len(tables["数据"]) == 1  # trailing empty rows dropped
    scheme, data, _ = read_workbook(path)
    assert scheme.indicators[0].target == 80
    assert data.values.at["X1", "A01"] == 60
    # a cell named in a problem counts the title rows
    assert tables["指标"].cell(0, 3) == "D4"


def test_merged_two_row_header(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "指标"
    ws.append(["编码", "维度", "分值", "计分方法", "功效系数标准值", None, None, None, None])
    ws.append([None, None, None, None, "优秀值", "良好值", "平均值", "较低值", "较差值"])
    for col in "ABCD":
        ws.merge_cells(f"{col}1:{col}2")
    ws.merge_cells("E1:I1")
    ws.append(["A01", "维度一", 100, "功效系数", 8, 7, 6, 5, 4])
    ws = wb.create_sheet("单位")
    ws.append(["编码", "名称", "类别"])
    ws.append(["X1", "一号", "甲类"])
    ws = wb.create_sheet("数据")
    ws.append(["单位编码", "A01"])
    ws.append(["X1", 7.5])
    wb.save(tmp_path / "m.xlsx")
    scheme, data, _ = read_workbook(tmp_path / "m.xlsx")
    assert scheme.indicators[0].standards == (8, 7, 6, 5, 4)
    assert scheme.indicators[0].cell("分值") == "C3"


def test_category_merged_over_its_units(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "单位"
    ws.append(["编码", "名称", "类别"])
    for k in range(1, 5):
        ws.append([f"X{k}", f"单位{k}", "县市区" if k == 1 else None])
    ws.merge_cells("C2:C5")
    ws = wb.create_sheet("指标")
    ws.append(IND_HEADER)
    ws.append(["A01", "维度一", "完成率", 100, "完成比例", 100, "%"])
    ws = wb.create_sheet("数据")
    ws.append(["单位编码", "A01"])
    for k in range(1, 5):
        ws.append([f"X{k}", 90])
    wb.save(tmp_path / "merged.xlsx")
    scheme, _, _ = read_workbook(tmp_path / "merged.xlsx")
    assert [u.category for u in scheme.units] == ["县市区"] * 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 1, 20), "2026-01-20"),
        ("2026年1月20日", "2026-01-20"),
        ("2026-1-20", "2026-01-20"),
        (46042, "2026-01-20"),
    ],
)
def test_dates_in_settings(tmp_path: Path, value: object, expected: str) -> None:
    sheets = simple_sheets([90])
    sheets["设置"] = [["项目", "值"], ["成文日期", value]]
    scheme, _, _ = read_workbook(make_book(tmp_path / "d.xlsx", sheets))
    assert scheme.settings.date == expected


# --- a dozen planted mistakes, all reported in one run --------------------------
PLANTED = {
    "设置": [["项目", "值"], ["否决效果", "取消评优"], ["优秀比例", "二成"]],
    "指标": [
        ["编码", "维度", "指标名称", "适用类别", "分值", "计分方法", "方向", "目标值", "优秀值", "良好值", "平均值", "较低值", "较差值", "区间"],
        ["A01", "经济", "增速", None, 30, "功效系统", None, None, 8, 7, 6, 5, 4, None],
        ["A02", "经济", "完成率", None, 30, "完成比例", None, None, None, None, None, None, None, None],
        ["A02", "经济", "重复", None, 10, "达标", None, 90, None, None, None, None, None, None],
        ["A03", "经济", "收益率", None, 20, "功效系数", None, None, 8, 9, 6, 5, 4, None],
        ["A04", "服务", "满意度", None, 10, "区间", "横向", None, None, None, None, None, None, "大于90得满分"],
        ["A05", "服务", "办结率", None, 10, "达标", None, 90, None, None, None, None, None, None],
    ],
    "单位": [["编码", "名称", "类别"], ["X1", "一号", "甲类"], ["X2", "二号", "甲类"], ["X1", "重复", "甲类"]],
    "数据": [
        ["单位编码", "A01", "A02", "A03", "A04", "A09", "A05"],
        ["X1", 7, 95, 5, 91, 1, 95],
        ["X2", 6, "48,7", 4, 88, 2, 80],
        ["X3", 6, 90, 4, 88, 3, 90],
    ],
    "加减分": [["单位编码", "类型", "分值", "事由"], ["X1", "加", 1, "表彰"]],
    "修正": [["单位编码", "指标编码", "系数", "事由"], ["X2", "A03", 0, "灾害"]],
    "否决": [["单位编码", "事项", "事由"], ["X7", "安全生产", "事故"]],
}  # fmt: skip

# Written from the planted cells above, in the order the checks run: units, settings,
# indicators, adjustments, vetoes, corrections, category totals, data. An indicator
# with a mistake is reported once: its code is still known to 修正 and 数据, whose
# cells are still checked (数据!C3). Only A05 is valid, hence the 10-point total.
EXPECTED_PLANTED = [
    ("错误", "单位!A4", "单位编码 “X1” 重复（已见于 A2）"),
    ("错误", "设置!B3", "优秀比例 “二成” 不是有效的比例（应形如 20%）"),
    ("错误", "设置!B2", "否决效果 “取消评优” 无效（应为 不得评优、不合格 之一）"),
    (
        "错误",
        "指标!F2",
        "计分方法 “功效系统” 无效，是否应为 “功效系数”？（可选：完成比例、功效系数、区间、线性、排名、扣分、定性、达标、阶梯、直接）",
    ),
    ("错误", "指标!H3", "目标值不能为空"),
    ("错误", "指标!A4", "指标编码 “A02” 重复（已见于 A3）"),
    ("错误", "指标!J5", "功效系数标准值应从优秀到较差递减（正向）：优秀值 “8”，良好值 “9”"),
    ("错误", "指标!G6", "方向 “横向” 无效（应为 正向 或 逆向）"),
    ("错误", "指标!N6", "区间 “大于90得满分”：无法识别 “大于90得满分”（应形如 >=95:1; >=90:0.8; else:0）"),
    ("错误", "加减分!B2", "类型 “加” 无效（应为 加分 或 扣分）"),
    ("错误", "否决!A2", "单位编码 “X7” 不在单位表中"),  # X1 and X2 are equally near: no guess
    ("错误", "修正!C2", "修正系数 “0” 应大于 0"),
    ("警告", "指标!", "类别 “甲类” 的指标分值合计 10 分，与满分 100 分不符"),
    ("错误", "数据!A4", "单位编码 “X3” 不在单位表中"),
    ("警告", "数据!F1", "列 “A09” 不是指标编码，已忽略"),
    ("错误", "数据!C3", "“48,7” 不是有效数字"),
]


def test_a_dozen_planted_mistakes_reported_in_one_run(tmp_path: Path) -> None:
    path = make_book(tmp_path / "错误示例.xlsx", PLANTED)
    _, _, problems = build_scheme(read_tables(path), file=path.name)
    got = [(p.severity, f"{p.sheet}!{p.cell}", p.message) for p in problems]
    assert sorted(got) == sorted(EXPECTED_PLANTED)
    assert all(p.file == "错误示例.xlsx" for p in problems)


def test_check_prints_every_problem_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = make_book(tmp_path / "错误示例.xlsx", PLANTED)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == len(EXPECTED_PLANTED)
    assert "错误  错误示例.xlsx 数据!C3：“48,7” 不是有效数字" in lines
    assert "Traceback" not in out.err


def test_check_clean_workbook_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = make_book(tmp_path / "ok.xlsx", simple_sheets([90, 100]))
    assert main(["check", str(path)]) == 0
    assert "检查通过" in capsys.readouterr().out


# --- files that are not workbooks ------------------------------------------------
def _ole_file(path: Path, encrypted: bool) -> Path:
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    if encrypted:
        body += "EncryptionInfo".encode("utf-16-le") + b"\0" * 64
    path.write_bytes(body + b"\0" * 1024)
    return path


BAD_FILES = [
    ("坏文件.xlsx", lambda p: p.write_bytes(b"this is not a zip at all"), "文件已损坏或不是 Excel 工作簿"),
    ("截断.xlsx", lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 40), "文件已损坏（压缩包不完整）"),
    ("加密.xlsx", lambda p: _ole_file(p, True), "工作簿设有打开密码"),
    ("旧版.xls", lambda p: _ole_file(p, False), "旧版 .xls 格式"),
    ("数据.csv", lambda p: p.write_text("编码,名称\nX1,一号\n", encoding="utf-8"), "这是 CSV/文本文件"),
    ("空文件.xlsx", lambda p: p.write_bytes(b""), "文件是空的"),
    ("无关.xlsx", lambda p: make_book(p, {"Sheet1": [["a", "b"]]}), "没有找到考核工作表"),
    ("缺表.xlsx", lambda p: make_book(p, {"指标": [IND_HEADER], "数据": [["单位编码"]]}), "缺少 “单位” 工作表"),
    ("空白.xlsx", lambda p: make_book(p, {"指标": [IND_HEADER], "单位": [["编码"]], "数据": [["单位编码"]]}),
     "工作簿还没有填写"),
    ("不存在.xlsx", None, "文件不存在"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "fragment"), BAD_FILES)
def test_bad_files_get_one_sentence_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture, name: str, make, fragment: str
) -> None:
    path = tmp_path / name
    if make:
        make(path)
    for command in ("check", "score"):
        assert main([command, str(path)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"{name}：") and fragment in err
        assert "\n" not in err and "Traceback" not in err
