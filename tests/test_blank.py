"""``perf-excel new``: the blank workbook a clerk fills in, and its worked example."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from perf_excel.cli import main
from perf_excel.core.methods import WORKBOOK_NAMES as METHODS
from perf_excel.xlsx.reader import read_workbook


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blank") / "空白.xlsx"
    assert main(["new", str(path)]) == 0
    return path


def validations(ws) -> dict[str, str]:
    """Cell range (first cell) -> list formula of every drop-down on the sheet."""
    return {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}


def test_sheets_and_headers(blank: Path) -> None:
    wb = openpyxl.load_workbook(blank)
    assert wb.sheetnames == ["说明", "设置", "指标", "单位", "数据", "加减分", "否决", "修正", "选项"]
    assert [c.value for c in wb["单位"][1]] == ["编码", "名称", "类别"]
    assert [c.value for c in wb["加减分"][1]] == ["单位编码", "类型", "分值", "事由"]
    header = [c.value for c in wb["指标"][1]]
    for column in (
        "编码",
        "维度",
        "指标名称",
        "适用类别",
        "分值",
        "计分方法",
        "方向",
        "目标值",
        "优秀值",
        "较差值",
        "区间",
    ):
        assert column in header
    for name in ("设置", "指标", "单位", "数据", "加减分", "否决", "修正"):
        ws = wb[name]
        assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("DDEBF7"), name
        assert ws.freeze_panes in ("A2", "C2", "D2"), name
        assert ws.column_dimensions["A"].width >= 8, name
        assert ws.page_setup.orientation == "landscape", name


@pytest.mark.parametrize(
    ("sheet", "column", "expected"),
    [
        ("指标", "计分方法", '"' + ",".join(METHODS) + '"'),
        ("指标", "方向", '"正向,逆向"'),
        ("单位", "类别", "'选项'!$A$2:$A$201"),
        ("加减分", "类型", '"加分,扣分"'),
    ],
)
def test_drop_downs_on_columns(blank: Path, sheet: str, column: str, expected: str) -> None:
    ws = openpyxl.load_workbook(blank)[sheet]
    letter = next(c.column_letter for c in ws[1] if c.value == column)
    assert validations(ws)[f"{letter}2"] == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [("否决效果", '"不得评优,不合格"'), ("比例取整", '"向下,四舍五入,向上"'), ("并列处理", '"不超额,并列均入"')],
)
def test_drop_downs_in_settings(blank: Path, key: str, expected: str) -> None:
    ws = openpyxl.load_workbook(blank)["设置"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == key)
    assert validations(ws)[f"B{row}"] == expected


def test_formats_and_guide(blank: Path) -> None:
    wb = openpyxl.load_workbook(blank)
    ws = wb["设置"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    assert ws.cell(row=rows["优秀比例"], column=2).number_format == "0%"
    assert ws.cell(row=rows["优秀比例"], column=2).value == 0.2
    assert wb["单位"]["A2"].number_format == "@"  # codes stay text: 001 is not 1
    text = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    for name in METHODS:
        assert name in text
    assert "不适用" in text and "perf-excel check" in text


def test_blank_filled_in_by_hand_scores_without_surprises(blank: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(blank)
    ws = wb["设置"]
    ws["B2"] = "手工填写测试"
    ind = wb["指标"]
    header = [c.value for c in ind[1]]

    def put(row: int, **values: object) -> None:
        for k, v in values.items():
            ind.cell(row=row, column=header.index(k) + 1, value=v)

    put(2, 编码="001", 维度="业务", 指标名称="完成率", 分值=60, 计分方法="完成比例", 目标值=100, 计量单位="%")
    put(3, 编码="002", 维度="业务", 指标名称="事故", 分值=40, 计分方法="扣分", 每项扣分=10)
    units = wb["单位"]
    for r, row in enumerate([("001", "甲单位", "县市区"), ("002", "乙单位", "县市区")], start=2):
        for c, v in enumerate(row, start=1):
            units.cell(row=r, column=c, value=v)
    data = wb["数据"]
    data["C1"], data["D1"] = "001", "002"
    for r, row in enumerate([("001", "甲单位", "95%", 1), ("002", "乙单位", " 80 ", "０")], start=2):
        for c, v in enumerate(row, start=1):
            data.cell(row=r, column=c, value=v)
    path = tmp_path / "填好.xlsx"
    wb.save(path)
    assert main(["check", str(path)]) == 0
    scheme, dataset, warnings = read_workbook(path)
    assert [u.code for u in scheme.units] == ["001", "002"]  # text codes kept as typed
    from perf_excel.core.assess import assess

    table = assess(scheme, dataset).table
    # 甲: 95/100×60 = 57, 40−1×10 = 30 → 87; 乙: 80/100×60 = 48, 40 → 88
    assert table.loc["001", "total"] == pytest.approx(87.0)
    assert table.loc["002", "total"] == pytest.approx(88.0)
    assert list(table["rank"]) == [2, 1]
    assert warnings == []


def test_example_checks_clean_and_scores_as_computed_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "示例.xlsx"
    assert main(["new", str(path), "--example"]) == 0
    scheme, dataset, warnings = read_workbook(path)
    assert warnings == []
    from perf_excel.core.assess import assess

    t = assess(scheme, dataset).table
    # X01: E01 7.6 between 良好 7 and 优秀 8: 30×0.8 + 0.6/1×30×0.2 = 27.6; K01 96 → 25; K02 98 ≥ 95 → 15;
    #      G01 优 → 15; G02 0 accidents → 15: total 97.6, the only 优秀 place of 4 units at 25 %.
    assert t.loc["X01", "total"] == pytest.approx(97.6) and t.loc["X01", "grade"] == "优秀"
    # X04: full marks but vetoed → keeps rank 1, cannot be 优秀.
    assert t.loc["X04", "total"] == pytest.approx(100.0)
    assert t.loc["X04", "rank"] == 1 and t.loc["X04", "grade"] == "良好"
    # D03: K01 不适用 → (26.4 + 15 + 9 + 15) × 100/75 = 87.2 (E02 88/100×30 = 26.4, G01 中 0.6×15 = 9)
    assert t.loc["D03", "total"] == pytest.approx(87.2)


def test_new_does_not_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"keep me")
    assert main(["new", str(path)]) == 1
    assert "文件已存在" in capsys.readouterr().err
    assert path.read_bytes() == b"keep me"
    assert main(["new", str(path), "--force"]) == 0
    assert openpyxl.load_workbook(path).sheetnames[0] == "说明"
