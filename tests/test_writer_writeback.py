"""Results workbooks (-o) and write-back into the source (--write-back)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from perf_excel.cli import main
from perf_excel.core.assess import assess
from perf_excel.core.errors import OutputError
from perf_excel.xlsx.reader import read_workbook
from perf_excel.xlsx.writeback import write_back

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"
VBA = b"FAKE-VBA-PROJECT\x00\x01\x02" * 200
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def demo_with_extras(path: Path) -> Path:
    """The demo workbook plus an unrelated, formatted sheet with a formula and a drop-down,
    saved once by openpyxl and then given cached formula values the way Excel would."""
    wb = openpyxl.load_workbook(DEMO)
    ws = wb.create_sheet("台账")
    ws["A1"] = "经办人"
    ws["A1"].font = Font(bold=True, color="FFC00000", size=14)
    ws["A1"].fill = PatternFill("solid", fgColor="FFFFFF00")
    ws["B1"] = 3
    ws["B2"] = "=B1*2"
    ws.merge_cells("C1:E2")
    ws["C1"] = "合并单元格"
    ws.column_dimensions["A"].width = 33
    dv = DataValidation(type="list", formula1='"是,否"')
    ws.add_data_validation(dv)
    dv.add("F1:F20")
    wb.save(path)
    # openpyxl writes formulas without values; give B2 the cached value 6 as Excel would.
    _rewrite_part(path, _sheet_part(path, "台账"), lambda x: x.replace(b"<f>B1*2</f><v></v>", b"<f>B1*2</f><v>6</v>"))
    return path


def _sheet_part(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        wbxml = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'name="{name}"[^>]*r:id="([^"]+)"', wbxml).group(1)
    target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
    t = target.group(1) or target.group(2)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


def _rewrite_part(path: Path, part: str, change) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, change(data) if info.filename == part else data)
    os.replace(tmp, path)


def make_xlsm(path: Path) -> Path:
    """An .xlsm: the demo workbook with a VBA project part, as Excel packages one."""
    src = demo_with_extras(path.with_suffix(".src.xlsx"))
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rIdVBA" Type="{VBA_REL}" Target="vbaProject.bin"/></Relationships>'.encode(),
                )
            zout.writestr(info, data)
        zout.writestr("xl/vbaProject.bin", VBA)
    src.unlink()
    return path


def sheet_snapshot(path: Path, name: str) -> dict:
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    ws = wb[name]
    return {
        "values": [[c.value for c in row] for row in ws.iter_rows()],
        "fonts": [(c.coordinate, c.font.b, c.font.color.rgb if c.font.color else None, c.font.sz) for c in ws[1]],
        "fill": ws["A1"].fill.fgColor.rgb,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "width": ws.column_dimensions["A"].width,
        "validations": [(dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation],
    }


def expected_result_rows(path: Path) -> list[tuple[str, float, int, str]]:
    scheme, data, _ = read_workbook(path)
    r = assess(scheme, data)
    return [(code, float(row["total"]), int(row["rank"]), row["grade"]) for code, row in r.table.iterrows()]


def calamine_rows(path: Path, sheet: str) -> list[list[object]]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(sheet).to_python()
    finally:
        wb.close()


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_write_back_keeps_everything_else(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"考核表{suffix}"
    make_xlsm(path) if suffix == ".xlsm" else demo_with_extras(path)
    before_bytes = path.read_bytes()
    before = sheet_snapshot(path, "台账")
    expected = expected_result_rows(path)
    with zipfile.ZipFile(path) as z:
        untouched = {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}

    assert main(["score", str(path), "--write-back"]) == 0

    # every sheet that was there is byte for byte the same part
    with zipfile.ZipFile(path) as z:
        for name, data in untouched.items():
            assert z.read(name) == data, name
        if suffix == ".xlsm":
            assert z.read("xl/vbaProject.bin") == VBA
            assert b"macroEnabled.main+xml" in z.read("[Content_Types].xml")
    assert sheet_snapshot(path, "台账") == before
    # the cached value of a formula in an untouched sheet is still there for headless readers
    assert calamine_rows(path, "台账")[1][1] == 6
    # the previous version is kept
    assert (tmp_path / f"考核表{suffix}.bak").read_bytes() == before_bytes
    # the results are those of the assessment, in unit order
    rows = calamine_rows(path, "结果")
    assert rows[0][:3] == ["单位编码", "单位名称", "类别"]
    header = rows[0]
    got = [(r[0], r[header.index("总分")], int(r[header.index("类别排名")]), r[header.index("等次")]) for r in rows[1:]]
    assert got == expected
    wb = openpyxl.load_workbook(path, keep_vba=suffix == ".xlsm")
    assert wb.sheetnames[-3:] == ["结果", "计分明细", "数据异动预警"]  # write-back adds the anomaly sheet too
    assert wb["结果"]["A1"].font.b and wb["结果"].freeze_panes == "A2"
    assert wb["结果"].page_setup.orientation == "landscape"


def test_write_back_twice_replaces_the_results_sheets(tmp_path: Path) -> None:
    path = shutil.copy(DEMO, tmp_path / "demo.xlsx")
    assert main(["score", str(path), "--write-back"]) == 0
    first = calamine_rows(Path(path), "计分明细")
    assert main(["score", str(path), "--write-back"]) == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames.count("结果") == 1 and wb.sheetnames.count("计分明细") == 1
    assert calamine_rows(Path(path), "计分明细") == first
    assert main(["check", str(path)]) == 0  # the written-back workbook still reads


def test_detail_rows_cover_every_applicable_indicator(tmp_path: Path) -> None:
    path = shutil.copy(DEMO, tmp_path / "demo.xlsx")
    out = tmp_path / "结果.xlsx"
    assert main(["score", str(path), "-o", str(out)]) == 0
    scheme, _, _ = read_workbook(path)
    expected = sum(1 for u in scheme.units for i in scheme.indicators if i.applies_to(u.category))
    detail = calamine_rows(out, "计分明细")
    assert len(detail) - 1 == expected
    assert all(r[9] for r in detail[1:])  # every score has its explanation
    wb = openpyxl.load_workbook(out)
    ws = wb["结果"]
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_score_without_write_back_never_modifies_the_source(tmp_path: Path) -> None:
    path = Path(shutil.copy(DEMO, tmp_path / "demo.xlsx"))
    before = digest(path)
    assert main(["score", str(path), "-o", str(tmp_path / "out.xlsx")]) == 0
    assert main(["score", str(path), "--json"]) == 0
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.xlsx", "out.xlsx"]


def test_open_in_excel_lock_file_nothing_changes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = Path(shutil.copy(DEMO, tmp_path / "考核表.xlsx"))
    (tmp_path / "~$考核表.xlsx").write_bytes(b"owner")
    before = digest(path)
    assert main(["score", str(path), "--write-back"]) == 1
    err = capsys.readouterr().err
    assert "正在 Excel 中打开" in err and "未做任何改动" in err
    assert digest(path) == before
    assert not (tmp_path / "考核表.xlsx.bak").exists()


def test_permission_error_leaves_the_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(shutil.copy(DEMO, tmp_path / "考核表.xlsx"))
    before = digest(path)
    scheme, data, _ = read_workbook(path)
    results = assess(scheme, data)

    def locked(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(OutputError, match="文件被占用或只读.*原文件未做任何改动"):
        write_back(results, path)
    assert digest(path) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_output_cannot_be_the_source_and_xlsm_becomes_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = Path(shutil.copy(DEMO, tmp_path / "demo.xlsx"))
    before = digest(path)
    assert main(["score", str(path), "-o", str(path)]) == 2
    assert "-o 不能指向源工作簿本身" in capsys.readouterr().err
    assert digest(path) == before
    assert main(["score", str(path), "-o", str(tmp_path / "结果.xlsm")]) == 0
    assert (tmp_path / "结果.xlsx").exists() and not (tmp_path / "结果.xlsm").exists()
