"""Yearbook tables across years: values by hand from the samples, the .xlsx, the command on workbooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import openpyxl
import pytest

from perf_excel.cli import main
from perf_excel.core.errors import InputError
from perf_excel.documents.samples import sample_results, sample_years
from perf_excel.documents.yearbook import render_yearbook, yearbook_context

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"


def rows_of(ctx: dict, key: str) -> dict[str, list[str]]:
    table = next(t for t in ctx["tables"] if t["key"] == key)
    return {r["label"].strip("\u3000"): r["cells"] for r in table["rows"]}


def test_years_sorted_and_units_missing_in_a_year_marked() -> None:
    ctx = yearbook_context(list(reversed(sample_years())))
    assert ctx["years"] == ["2023", "2024", "2025"]
    totals = rows_of(ctx, "total")
    # 市民政局 (B04) takes part from 2024 only; 2025 values: K1 80/100×30 = 24, K3 75/100×20 = 15,
    # G1 82/100×30 = 24.6, R1 15 → 78.60, minus the 1-point penalty → 77.60.
    assert totals["市民政局"] == ["…", "76.63", "77.60"]
    # 青山县 2025: 98×0.3 + 97×0.2 + 96×0.3 + 19 = 29.4 + 19.4 + 28.8 + 19 = 96.60; vetoed every year.
    assert totals["青山县"][2] == "96.60"
    assert rows_of(ctx, "grade")["青山县"] == ["良好（否决）"] * 3
    # 白云县 and 金沙县 have the same values: tied second in every year.
    assert rows_of(ctx, "rank")["白云县"] == ["2（并列）"] * 3
    counts = rows_of(ctx, "count")
    assert counts["合计"] == ["8", "9", "9"]


def test_same_year_twice_is_refused() -> None:
    with pytest.raises(InputError) as err:
        yearbook_context([sample_results(2025), sample_results(2025)], ["甲.xlsx", "乙.xlsx"])
    assert "乙.xlsx 设置：考核年度 “2025” 与 甲.xlsx 相同" in str(err.value)


def test_yearbook_docx_and_xlsx(tmp_path: Path) -> None:
    docx_path, xlsx_path = render_yearbook(sample_years(), tmp_path, sources=["a.xlsx", "b.xlsx", "c.xlsx"])
    d = docx.Document(str(docx_path))
    header = [c.text for c in d.tables[0].rows[0].cells]
    assert header == ["单位", "2023年", "2024年", "2025年"]
    assert d.tables[0].rows[0]._tr.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None
    text = "\n".join(p.text for p in d.paragraphs)
    assert "表1-1　各单位历年考核总分" in text and "单位：分" in text and "资料来源：" in text
    wb = openpyxl.load_workbook(xlsx_path)
    ws = wb["表1-1"]
    assert ws["A1"].value == "表1-1　各单位历年考核总分"
    assert ws["C2"].value is None and ws["D2"].value == "单位：分"
    values = {
        ws.cell(r, 1).value.strip("\u3000"): [ws.cell(r, c).value for c in (2, 3, 4)]
        for r in range(4, ws.max_row)
        if ws.cell(r, 1).value
    }
    assert values["市民政局"] == ["…", 76.63, 77.6]


def make_year(tmp_path: Path, year: int) -> Path:
    """The demo workbook relabelled as another year (the data stays; enough for the command)."""
    path = tmp_path / f"考核{year}.xlsx"
    shutil.copyfile(DEMO, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["设置"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "考核年度":
            row[1].value = year
        if row[0].value == "考核名称":
            row[1].value = f"{year}年度全市综合绩效考核"
    wb.save(path)
    return path


def test_yearbook_command_on_workbooks(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    paths = [make_year(tmp_path, y) for y in (2024, 2023)] + [DEMO]
    assert main(["yearbook", *map(str, paths), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "年鉴已写入" in out
    produced = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert produced == ["绩效考核结果年鉴（2023—2025年）.docx", "绩效考核结果年鉴（2023—2025年）.xlsx"]
