"""workbooks/perf_excel_demo.xlsm: a real macro workbook whose VBA project survives openpyxl."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
XLSM = ROOT / "workbooks" / "perf_excel_demo.xlsm"
GOLDEN = Path(__file__).parent / "golden" / "vba" / "xlwings_udfs.bas"


def vba_bin(path_or_bytes) -> bytes:
    with zipfile.ZipFile(path_or_bytes) as z:
        return z.read("xl/vbaProject.bin")


def ovba_decompress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 decompression, written from the specification (independent of any tool)."""
    assert data[0] == 1, "not a compressed container"
    out = bytearray()
    pos = 1
    while pos < len(data):
        head = struct.unpack_from("<H", data, pos)[0]
        size, compressed = (head & 0x0FFF) + 3, head & 0x8000
        chunk, pos, start = data[pos + 2 : pos + size], pos + size, len(out)
        if not compressed:
            out += chunk
            continue
        i = 0
        while i < len(chunk):
            flags, i = chunk[i], i + 1
            for bit in range(8):
                if i >= len(chunk):
                    break
                if not flags >> bit & 1:
                    out.append(chunk[i])
                    i += 1
                    continue
                token, i = struct.unpack_from("<H", chunk, i)[0], i + 2
                bits = max((len(out) - start - 1).bit_length(), 4)
                length, offset = (token & (0xFFFF >> bits)) + 3, (token >> (16 - bits)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def vba_modules(vba: bytes) -> dict[str, str]:
    """Module name → source text, read through the project's dir stream."""
    olefile = pytest.importorskip("olefile", reason="olefile is needed to read the VBA project")
    ole = olefile.OleFileIO(io.BytesIO(vba))
    d = ovba_decompress(ole.openstream("VBA/dir").read())
    i, name, modules = 0, None, {}
    while i < len(d):
        rid, size = struct.unpack_from("<HI", d, i)
        size = 6 if rid == 0x0009 else size  # PROJECTVERSION's size field lies
        body = d[i + 6 : i + 6 + size]
        if rid == 0x0019:  # MODULENAME
            name = body.decode("latin-1")
        elif rid == 0x0031:  # MODULEOFFSET
            offset = struct.unpack("<I", body)[0]
            modules[name] = ovba_decompress(ole.openstream(f"VBA/{name}").read()[offset:]).decode("cp1252")
        i += 6 + size
    return modules


def test_the_vba_project_is_xlwings_standalone_quickstart_byte_for_byte():
    import xlwings

    template = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    assert vba_bin(XLSM) == vba_bin(template)
    with zipfile.ZipFile(XLSM) as z:
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in z.read("[Content_Types].xml").decode()
        assert 'codeName="ThisWorkbook"' in z.read("xl/workbook.xml").decode()


def test_vba_project_holds_runpython_and_the_quickstart_macro():
    modules = vba_modules(vba_bin(XLSM))
    assert {"ThisWorkbook", "Sheet1", "Sheet2", "Module1", "xlwings", "Dictionary"} <= set(modules)
    assert "Sub SampleCall()" in modules["Module1"] and 'mymodule & ".main()"' in modules["Module1"]
    assert "Public Function RunPython(" in modules["xlwings"] and "Sub ImportPythonUDFs()" in modules["xlwings"]
    assert "'Version: 0.37.8" in modules["xlwings"]  # must match the Python package (setup.cfg pins it)


def test_openpyxl_keep_vba_round_trip_keeps_the_project_intact(tmp_path):
    wb = load_workbook(XLSM, keep_vba=True)
    wb["说明"]["A30"] = "round trip"
    out = tmp_path / "副本.xlsm"
    wb.save(out)
    assert vba_bin(out) == vba_bin(XLSM)
    again = load_workbook(out, keep_vba=True)
    assert again["说明"]["A30"].value == "round trip"
    assert [ws.sheet_properties.codeName for ws in again.worksheets][0] == "Sheet1"


def test_sheets_follow_the_contract_and_perf_assess_agrees_with_the_file_reader():
    from perf_excel import assess
    from perf_excel.udfs import PERF_ASSESS
    from perf_excel.xlsx.reader import read_workbook
    from perf_excel.xlsx.sheets import result_rows

    wb = load_workbook(XLSM, keep_vba=True)
    assert wb.sheetnames == [
        "说明", "设置", "指标", "单位", "数据", "加减分", "否决", "修正", "函数示例", "函数结果", "xlwings.conf"
    ]  # fmt: skip
    conf = {r[0]: r[1] for r in wb["xlwings.conf"].iter_rows(max_col=2, values_only=True) if r[0]}
    assert conf["UDF Modules"] == "perf_excel.udfs"
    # The ranges the 函数结果 sheet passes to PERF_ASSESS, as Excel would pass them.
    ranges = [[list(r) for r in wb[name].iter_rows(values_only=True)] for name in ("指标", "单位", "数据")]
    ranges += [[list(r) for r in wb[name].iter_rows(values_only=True)] for name in ("加减分", "否决", "修正", "设置")]
    in_cells = PERF_ASSESS(*ranges)
    from_file = result_rows(assess(*read_workbook(XLSM)[:2]))
    assert len(from_file) == 30
    assert [r[:-1] for r in in_cells[1:]] == [[("" if v is None else v) for v in r[:-1]] for r in from_file]


def test_example_formulas_call_only_imported_functions():
    wrapped = set(re.findall(r"^Function (PERF_\w+)\(", GOLDEN.read_text(encoding="ascii"), re.M))
    wb = load_workbook(XLSM, keep_vba=True)
    used = set()
    for name in ("函数示例", "函数结果"):
        for row in wb[name].iter_rows():
            for cell in row:
                text = getattr(cell.value, "text", cell.value)
                if isinstance(text, str) and text.startswith("="):
                    used |= set(re.findall(r"PERF_\w+", text))
    assert used and used <= wrapped
    assert "PERF_ASSESS" in used and "PERF_RANK" in used


def test_companion_files():
    udfs = (ROOT / "workbooks" / "perf_excel_udfs.bas").read_bytes()
    assert udfs.decode("ascii") == GOLDEN.read_text(encoding="ascii").replace("\n", "\r\n")
    macros = (ROOT / "workbooks" / "perf_excel_macros.bas").read_bytes().decode("ascii")
    for sub, target in (("ScoreAndReport", "score_and_report"), ("Score", "score"), ("Report", "report")):
        assert f'Sub {sub}()\r\n    RunPython "import perf_excel.macros; perf_excel.macros.{target}()"' in macros
    demo_py = (ROOT / "workbooks" / "perf_excel_demo.py").read_text(encoding="utf-8")
    assert "def main()" in demo_py and "macros.score_and_report()" in demo_py
