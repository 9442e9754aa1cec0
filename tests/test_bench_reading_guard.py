"""The quick package scan of large worksheets (reading within 1.3× of python-calamine).

A worksheet part of ``QUICK_SCAN_BYTES`` or more is not searched for its farthest cell; one C-level
search proves every reference is inside ``QUICK_ROWS`` × ``QUICK_COLS``. Anything that could place a
cell farther (a far column in the last row, cells without ``r``, ``r`` written another way) must send
the part through the exact scan, which refuses the sheet as before.
"""

from __future__ import annotations

import zipfile

import pytest

from perf_excel.core.errors import InputError
from perf_excel.xlsx.safety import MAX_SHEET_CELLS, QUICK_COLS, QUICK_ROWS, QUICK_SCAN_BYTES, check_package

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _filler(rows: int, cols: int = 8) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:cols]
    return "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in letters) + "</row>"
        for r in range(1, rows + 1)
    )


def _package(path, sheet_data: str, ns: str = _NS) -> None:
    sheet = f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet {ns}><sheetData>{sheet_data}</sheetData></worksheet>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook {_NS} xmlns:r="{_REL_NS}"><sheets>'
            '<sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size >= QUICK_SCAN_BYTES


ROWS = 20_000  # 20,000 × 8 cells is about 5 MB of XML: above QUICK_SCAN_BYTES
_LAST = f'<row r="{ROWS + 1}">'


def test_quick_bound_is_below_the_sheet_limit():
    assert QUICK_COLS == 26 * 26 + 26  # ZZ
    assert QUICK_ROWS * QUICK_COLS <= MAX_SHEET_CELLS


def test_a_normal_large_sheet_passes_with_the_quick_bound(tmp_path):
    _package(tmp_path / "ok.xlsx", _filler(ROWS))
    assert check_package(tmp_path / "ok.xlsx").extents["xl/worksheets/sheet1.xml"] == (QUICK_ROWS, QUICK_COLS)


@pytest.mark.parametrize(
    "last_row, far",
    [
        (
            f'{_LAST}<c r="A{ROWS + 1}"><v>1</v></c><c r="XFD{ROWS + 1}"><v>1</v></c></row>',
            "XFD",
        ),  # far column, last row
        (f"{_LAST}<c r='XFD{ROWS + 1}'><v>1</v></c></row>", "XFD"),  # single quotes
        (f'{_LAST}<c\tr="XFD{ROWS + 1}"><v>1</v></c></row>', "XFD"),  # a tab before r
        (f'{_LAST}<c r = "XFD{ROWS + 1}"><v>1</v></c></row>', "XFD"),  # spaces around =
        (f'{_LAST}<c s="0" r="XFD{ROWS + 1}"><v>1</v></c></row>', "XFD"),  # r after another attribute
        ('<row r="1048576"><c r="A1048576"><v>1</v></c><c r="ZZ1048576"><v>1</v></c></row>', "1048576"),  # far row
        ('<row r="1048576">' + "<c><v>1</v></c>" * 800 + "</row>", "1048576"),  # cells without r, last row
        ("<row>" + "<c><v>1</v></c>" * 16_384 + "</row>", "XFD"),  # a row without r and cells without r
    ],
)
def test_anything_that_could_place_a_cell_farther_is_refused(tmp_path, last_row, far):
    _package(tmp_path / "far.xlsx", _filler(ROWS) + last_row)
    with pytest.raises(InputError) as exc:
        check_package(tmp_path / "far.xlsx")
    assert "工作表“数据”" in exc.value.message and far in exc.value.message


def test_a_prefixed_cell_goes_through_the_exact_scan(tmp_path):
    data = _filler(ROWS).replace("<c ", "<x:c ").replace("</c>", "</x:c>")
    data += f'{_LAST}<x:c r="XFD{ROWS + 1}"><x:v>1</x:v></x:c></row>'
    _package(tmp_path / "x.xlsx", data, ns=f"xmlns:x={_NS[6:]} {_NS}")
    with pytest.raises(InputError, match="XFD"):
        check_package(tmp_path / "x.xlsx")


def test_a_long_legitimate_sheet_gets_its_exact_extent(tmp_path):
    # 80,000 rows are beyond QUICK_ROWS: the exact scan measures them (80,001 × 2 is far below the limit).
    _package(tmp_path / "long.xlsx", _filler(80_001, cols=2))
    assert check_package(tmp_path / "long.xlsx").extents["xl/worksheets/sheet1.xml"] == (80_001, 2)
