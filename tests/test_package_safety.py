"""The package safety scan and the read path against files built to slip past it.

Every refusal here happens before python-calamine sees the file: if one of these checks
regressed, python-calamine would abort the whole test run (a 512 GiB allocation) or panic.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hostile_xlsx import Sheet, write_parts, xlsx_parts

from perf_excel.cli import main
from perf_excel.core.errors import InputError, TemplateError
from perf_excel.documents.links import check_template
from perf_excel.xlsx import package as ooxml
from perf_excel.xlsx import reader as workbook
from perf_excel.xlsx import safety
from perf_excel.xlsx.safety import check_package

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "malicious"
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
AREA = "工作表“数据”的数据区域达 1,048,576 行 × 16,384 列"


def run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    text = out.getvalue() + err.getvalue()
    assert "Traceback" not in text
    return code, text


def valid_sheets() -> list[Sheet]:
    header = ["编码", "维度", "指标名称", "分值", "计分方法", "目标值"]
    return [
        Sheet("设置", [["项目", "值"], ["考核名称", "2025年度考核"], ["考核年度", 2025]]),
        Sheet("指标", [header, ["A1", "经济", "甲", 60, "完成比例", 100], ["A2", "经济", "乙", 40, "完成比例", 100]]),
        Sheet("单位", [["编码", "名称", "类别"], ["U1", "甲单位", "区"], ["U2", "乙单位", "区"]]),
        Sheet("数据", [["单位编码", "A1", "A2"], ["U1", 80, 90], ["U2", 81, 89]]),
    ]


def book(tmp_path: Path, cells: bytes = b"", name: str = "x.xlsx", override: dict[str, bytes] | None = None) -> Path:
    """The valid workbook with raw ``cells`` appended to 数据's sheetData; ``override`` replaces or adds parts."""
    parts = xlsx_parts(valid_sheets())
    sheet = parts["xl/worksheets/sheet4.xml"]
    parts["xl/worksheets/sheet4.xml"] = sheet.replace(b"</sheetData>", cells + b"</sheetData>")
    parts.update(override or {})
    return write_parts(tmp_path / name, parts)


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as exc:
        check_package(path)
    return exc.value.message


# --- far cells written every way XML and python-calamine allow ------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (b'<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>', AREA),  # lower case
        (b'<row r="1048576"><c r="XfD1048576"><v>1</v></c></row>', AREA),  # mixed case
        (b'<row r="1048576"><c r="XFD0001048576"><v>1</v></c></row>', AREA),  # leading zeros
        (b"<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>", AREA),  # single quotes
        (b'<row r = "1048576"><c r = "XFD1048576"><v>1</v></c></row>', AREA),  # spaces around =
        (b'<row r="1048576"><c\nr\t=\n"XFD1048576"><v>1</v></c></row>', AREA),  # newlines and tabs
        (b'<row r="1048576"><c s="0" r="XFD1048576"><v>1</v></c></row>', AREA),  # r not first
        # Rows beyond Excel's 1,048,576: 8 digits, 10 digits (wraps around in a 32-bit reader), 5,000 digits.
        (b'<row r="10000000"><c r="A10000000"><v>1</v></c></row>', "工作表“数据”的单元格 A10000000 超出 Excel 的范围"),
        (b'<row><c r="A4294967297"><v>1</v></c></row>', "单元格 A4294967297 超出 Excel 的范围"),
        (b'<row><c r="A' + b"9" * 5000 + b'"><v>1</v></c></row>', "超出 Excel 的范围"),
        (b'<row><c r="XFE1"><v>1</v></c></row>', "工作表“数据”的单元格 XFE1 超出 Excel 的范围"),  # column 16,385
        (b'<row><c r="AAAA1"><v>1</v></c></row>', "单元格 AAAA1 超出 Excel 的范围"),
        # References python-calamine cannot read are refused, not passed over.
        (b'<row><c r="A-1"><v>1</v></c></row>', "无法识别的单元格引用 “A-1”"),
        (b'<row><c r="&#88;FD1048576"><v>1</v></c></row>', AREA),  # a character reference: read as XML reads it
        (b'<row r="x"><c><v>1</v></c></row>', "无法识别的单元格引用 “x”"),
        # A prefixed cell element, and a comment hiding nothing from the parse.
        (b'<row r="1048576"><x:c xmlns:x="' + MAIN.encode() + b'" r="XFD1048576"><x:v>1</x:v></x:c></row>', AREA),
        (b'<!-- <c r="A1"> --><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', AREA),
    ],
)
def test_far_cells_written_otherwise_are_refused(tmp_path: Path, cells: bytes, expected: str) -> None:
    assert expected in refusal(book(tmp_path, cells))


def test_big_sheet_quick_scan_sends_odd_references_to_the_exact_scans(tmp_path: Path) -> None:
    # Above QUICK_SCAN_BYTES the quick scan runs first; a lower-case, zero-padded or 8-digit far
    # reference in the last row must still be found.
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="B{r}"><v>2</v></c></row>' for r in range(5, 90_000))
    for far, expected in (
        (b'<row r="90000"><c r="xfd90000"><v>1</v></c></row>', "数据区域达 90,000 行 × 16,384 列"),
        (b'<row r="90000"><c r="ZZ0001048576"><v>1</v></c></row>', "数据区域达 1,048,576 行 × 702 列"),
        (b'<row r="90000"><c r="B12345678"><v>1</v></c></row>', "单元格 B12345678 超出 Excel 的范围"),
    ):
        path = book(tmp_path, rows.encode() + far)
        assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet4.xml").file_size >= safety.QUICK_SCAN_BYTES
        assert expected in refusal(path)


def test_relationships_in_single_quotes_still_name_the_sheet(tmp_path: Path) -> None:
    parts = xlsx_parts(valid_sheets())
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        head, sep, body = parts[name].decode().partition("?>")
        parts[name] = (head + sep + re.sub(r'(\s[\w:]+)="([^"]*)"', r"\1 = '\2'", body)).encode()
    parts["xl/worksheets/sheet4.xml"] = parts["xl/worksheets/sheet4.xml"].replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    )
    assert "'" in parts["xl/_rels/workbook.xml.rels"].decode()
    assert AREA in refusal(write_parts(tmp_path / "q.xlsx", parts))


def test_a_sheet_part_no_relationship_maps_is_checked(tmp_path: Path) -> None:
    far = b'<worksheet xmlns="' + MAIN.encode() + b'"><sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c>'
    path = book(tmp_path, override={"xl/worksheets/sheet9.xml": far + b"</row></sheetData></worksheet>"})
    assert "压缩包成员 xl/worksheets/sheet9.xml 的数据区域达 1,048,576 行 × 16,384 列" in refusal(path)


def test_empty_formatted_far_cells_are_still_harmless(tmp_path: Path) -> None:
    # python-calamine skips an empty cell, whichever way it is written: no refusal.
    cells = b'<row r="1048576"><c r="xfd1048576" s="1"/><c r=\'XFD1048576\' s="1"></c></row>'
    report = check_package(book(tmp_path, cells))
    assert report.extents["xl/worksheets/sheet4.xml"] == (3, 3)


def test_names_differing_only_in_case_are_refused(tmp_path: Path) -> None:
    far = b'<worksheet xmlns="' + MAIN.encode() + b'"><sheetData/></worksheet>'
    path = book(tmp_path, override={"XL/worksheets/SHEET4.XML": far})
    assert "仅大小写不同" in refusal(path)


# --- date cells python-calamine cannot turn into dates ----------------------------------------------

_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}"><numFmts count="3">'
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="[h]:mm"/>'
    '<numFmt numFmtId="166" formatCode="0.00_);[Red]\\(0.00\\)"/></numFmts>'
    '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/>'
    '<xf numFmtId="166"/></cellXfs></styleSheet>'
).encode()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (b'<c r="B4" s="1"><v>-1E+20</v></c>', "工作表“数据”的单元格 B4：值 -1E+20 设为日期格式"),  # built-in 14
        (b'<c r="B4" s="2"><v>-1e20</v></c>', "单元格 B4：值 -1e20 设为日期格式"),  # yyyy-mm-dd
        (b'<c r="B4" s="3"><v>1e20</v></c>', "单元格 B4：值 1e20 设为日期格式"),  # [h]:mm duration
        (b'<c r="B4" s="1" t="n"><v>-inf</v></c>', "值 -inf 设为日期格式"),
        (b'<c r="B4" s="1"><v>nan</v></c>', "值 nan 设为日期格式"),  # read as 1899-12-30 otherwise
        (b'<c r="B4" s="01"><v>2958466</v></c>', "值 2958466 设为日期格式"),  # the day after 9999-12-31
        (b"<c r='B4' s = '1'><v>-5</v></c>", "单元格 B4：值 -5 设为日期格式"),
    ],
)
def test_date_cells_outside_excel_dates_are_refused(tmp_path: Path, cell: bytes, expected: str) -> None:
    path = book(tmp_path, b'<row r="4">' + cell + b"</row>", override={"xl/styles.xml": _STYLES})
    message = refusal(path)
    assert expected in message and "不在 Excel 的日期范围内（0 至 2,958,465" in message, message
    code, text = run(["check", str(path)])
    assert code == 1 and expected in text


@pytest.mark.parametrize(
    "cell",
    [
        b'<c r="B4" s="4"><v>-1E+20</v></c>',  # a number format with "d" only inside [Red]
        b'<c r="B4" s="1"><v>46000.5</v></c>',  # a real date
        b'<c r="B4" s="1" t="s"><v>0</v></c>',  # a text cell
        b'<c r="B4"><v>-1e20</v></c>',  # no style
    ],
)
def test_other_cells_are_not_taken_for_dates(tmp_path: Path, cell: bytes) -> None:
    sst = f'<sst xmlns="{MAIN}"><si><t>x</t></si></sst>'.encode()
    check_package(
        book(
            tmp_path,
            b'<row r="4">' + cell + b"</row>",
            override={"xl/styles.xml": _STYLES, "xl/sharedStrings.xml": sst},
        )
    )


@pytest.mark.parametrize(
    ("code", "is_date"),
    [
        # Cases python-calamine's own tests give, with their answer.
        ("DD/MM/YY", True),
        ("H:MM:SS;@", True),
        ("#,##0\\ [$\\u20bd-46D]", False),
        ('"$"#,##0_);[Red]("$"#,##0)', False),
        ("[h]:mm:ss", True),
        ("\\Y000000", False),
        ('#,##0.0####" YMD"', False),
        ("[>=100][Magenta].00", False),
        ("[>=100][Magenta]General", False),
        ("ha/p\\\\m", True),
        ("0.00%", False),
        ('0.0 "万元"', False),
    ],
)
def test_date_format_detection_follows_calamine(code: str, is_date: bool) -> None:
    assert safety._is_date_code(code) is is_date


def test_a_format_code_is_judged_as_written_too(tmp_path: Path) -> None:
    # Versions of calamine differ on unescaping a format code; as written, "&amp;" holds an "a" then
    # an "m" (am/pm, then minutes: a time). Both readings are judged, so either version is covered.
    styles = _STYLES.replace(b'formatCode="0.00_);[Red]\\(0.00\\)"', b'formatCode="0&amp;"')
    path = book(tmp_path, b'<row r="4"><c r="B4" s="4"><v>-1e20</v></c></row>', override={"xl/styles.xml": styles})
    assert "值 -1e20 设为日期格式" in refusal(path)


def test_1904_dates_end_earlier(tmp_path: Path) -> None:
    parts = xlsx_parts(valid_sheets())
    workbook_xml = parts["xl/workbook.xml"].replace(b"<sheets>", b'<workbookPr date1904="1"/><sheets>')
    path = book(
        tmp_path, b'<row r="4"><c r="B4" s="1"><v>2958000</v></c></row>', override={"xl/workbook.xml": workbook_xml}
    )
    assert "0 至 2,957,003" in refusal(path)


def test_a_calamine_panic_is_one_message_naming_the_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With the pre-check out of the way, python-calamine panics; the reader reports it in one sentence.
    path = book(tmp_path, b'<row r="4"><c r="B4" s="1"><v>-1e20</v></c></row>', name="坏日期.xlsx")
    monkeypatch.setattr(safety, "check_package", lambda *a, **k: None)
    with pytest.raises(InputError) as exc:
        workbook.read_tables(path)
    assert exc.value.message.startswith("坏日期.xlsx：读取工作表“数据”时 python-calamine 内部出错"), exc.value.message


@pytest.mark.parametrize("kind", [KeyboardInterrupt, SystemExit])
def test_the_panic_guard_lets_interrupts_through(kind: type[BaseException]) -> None:
    def interrupted() -> None:
        raise kind()

    with pytest.raises(kind):
        workbook.calamine_call(interrupted, "x.xlsx", "工作簿")


# --- encodings and DOCTYPE ------------------------------------------------------------------------


def test_doctype_split_between_pieces_is_found() -> None:
    with pytest.raises(TemplateError, match="word/document.xml 含有 XML 文档类型声明"):
        check_template("t.docx", (CORPUS / "template_doctype_split.docx").read_bytes())


def test_doctype_split_in_a_workbook_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_TEXT_RUN", 8 << 20)  # let the megabyte of spaces through
    with pytest.raises(InputError, match="xl/worksheets/sheet4.xml 含有 XML 文档类型声明"):
        check_package(CORPUS / "doctype_split.xlsx")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY x "y">]><w/>'.encode("utf-16"), "UTF-16"),
        ('<?xml version="1.0"?><!DOCTYPE w><w/>'.encode("utf-16-be"), "UTF-16"),  # no BOM
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><w/>', "使用 ISO-8859-1 编码"),
        (b"<?xml version='1.0' encoding = 'utf-7'?><w/>", "使用 utf-7 编码"),
        (b'<?xml version="1.0"?><!doctype w SYSTEM "http://x/y.dtd"><w/>', "含有 XML 文档类型声明"),  # lower case
    ],
)
def test_parts_in_other_encodings_are_refused(tmp_path: Path, data: bytes, expected: str) -> None:
    assert expected in refusal(book(tmp_path, override={"xl/worksheets/sheet3.xml": data}))


# --- long strings ---------------------------------------------------------------------------------


def test_a_huge_shared_string_is_refused_before_the_reader(tmp_path: Path) -> None:
    code, text = run(["check", str(CORPUS / "long_shared_string.xlsx")])
    assert code == 1 and "xl/sharedStrings.xml 含有一段超过 256 KB 的连续文字" in text, text


def test_a_huge_attribute_is_refused(tmp_path: Path) -> None:
    parts = xlsx_parts(valid_sheets())
    workbook_xml = parts["xl/workbook.xml"].replace('name="设置"'.encode(), b'name="' + b"x" * (1 << 20) + b'"')
    assert "xl/workbook.xml 含有一段超过 256 KB" in refusal(book(tmp_path, override={"xl/workbook.xml": workbook_xml}))


def test_the_longest_cell_text_excel_allows_is_accepted(tmp_path: Path) -> None:
    # 32,767 characters, each written as &quot; (6 bytes): 196,602 bytes, below MAX_TEXT_RUN.
    cell = b'<row r="4"><c r="B4" t="inlineStr"><is><t>' + b"&quot;" * 32_767 + b"</t></is></c></row>"
    check_package(book(tmp_path, cell))


def test_shared_strings_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sst = f'<sst xmlns="{MAIN}"><si><t>{"名" * 1000}</t></si></sst>'.encode()
    path = book(tmp_path, override={"xl/sharedStrings.xml": sst})
    check_package(path)
    monkeypatch.setattr(safety, "MAX_SHARED_STRINGS_BYTES", 1000)
    assert "共享字符串表 xl/sharedStrings.xml 解压后为" in refusal(path)


# --- the file: read once, regular files only -----------------------------------------------------


def test_the_reader_gives_calamine_the_bytes_it_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = shutil.copy(DEMO, tmp_path / "考核.xlsx")
    checked: list[bytes] = []
    real_check = safety.check_package

    def check_then_swap(source, display=None, allow_external=True):
        checked.append(bytes(source))
        report = real_check(source, display, allow_external)
        # The attacker swaps the file right after the check: the reader must not read it again.
        shutil.copy(CORPUS / "far_cell.xlsx", path)
        return report

    given: list[bytes] = []
    real_open = workbook.CalamineWorkbook.from_filelike

    def from_filelike(fh):
        given.append(fh.getvalue())
        return real_open(fh)

    monkeypatch.setattr(safety, "check_package", check_then_swap)
    monkeypatch.setattr(workbook.CalamineWorkbook, "from_filelike", from_filelike)
    monkeypatch.setattr(workbook.CalamineWorkbook, "from_path", None)  # never from the path again
    tables = workbook.read_tables(path)
    assert checked == given == [DEMO.read_bytes()]
    assert len(tables["单位"]) > 0 and tables["数据"].sheet == "数据"


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "x.xlsx"
    os.mkfifo(fifo)
    # In a child process: if the reader blocked on the pipe, the test must fail, not hang.
    done = subprocess.run(
        [sys.executable, "-m", "perf_excel.cli", "check", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 1
    assert "x.xlsx：不是普通文件（是管道、设备或套接字），不能作为工作簿读取" in done.stdout + done.stderr


def test_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "y.xlsx"
    link.symlink_to("/dev/zero")
    code, text = run(["check", str(link)])
    assert code == 1 and "y.xlsx：不是普通文件" in text, text


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_FILE_BYTES", 1000)
    code, text = run(["check", str(DEMO)])
    assert code == 1 and "超过上限" in text and "已拒绝读取" in text, text


# --- write-back finds the sheets however workbook.xml writes them ---------------------------------


@pytest.mark.parametrize("style", ["open-close", "single-quotes"])
def test_write_back_replaces_a_results_sheet_written_otherwise(tmp_path: Path, style: str) -> None:
    path = shutil.copy(DEMO, tmp_path / "考核.xlsx")
    assert run(["score", str(path), "--write-back"])[0] == 0
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    xml = parts["xl/workbook.xml"].decode()
    if style == "open-close":
        xml = re.sub(r"(<(?:\w+:)?sheet\b[^>]*?)\s*/>", r"\1></sheet>", xml)
    else:
        head, sep, body = xml.partition("?>")
        body = re.sub(r"(<(?:\w+:)?sheet\b)([^>]*?)(/?>)", lambda m: m[1] + m[2].replace('"', "'") + m[3], body)
        xml = head + sep + body
    parts["xl/workbook.xml"] = xml.encode()
    write_parts(path, parts)
    before = [s.name for s in ooxml.workbook_sheets(parts["xl/workbook.xml"])]
    assert before.count("结果") == 1
    assert run(["score", str(path), "--write-back"])[0] == 0
    with zipfile.ZipFile(path) as z:
        after = [s.name for s in ooxml.workbook_sheets(z.read("xl/workbook.xml"))]
    assert after == before


@pytest.mark.parametrize(
    "pieces",
    [
        [b'<row r="4"><c r="B4" s="1">', b"<v>-1e20</v></c></row>"],  # the value in the next piece
        [b'<row r="4"><c r="B4" s="1"><f>A1</f>', b"<v>-1e20</v></c></row>"],
        [b'<row r="4"><c r="A4" s="1"><v>45000</v></c><c r="B4" s="1">', b"<v>-1e20</v></c></row>"],
    ],
)
def test_a_date_cell_cut_between_two_pieces_is_checked(pieces: list[bytes]) -> None:
    ctx = safety._Context("x.xlsx", keep={"xl/styles.xml": _STYLES}, sheets={"xl/worksheets/sheet4.xml": "数据"})
    safety._read_context(ctx)
    assert ctx.date_styles == {1, 2, 3}
    scan = safety._CellScan(ctx, "xl/worksheets/sheet4.xml", big=False)
    with pytest.raises(InputError, match="工作表“数据”的单元格 B4：值 -1e20 设为日期格式"):
        for piece in pieces:
            scan.feed(piece, False)


def test_many_date_cells_in_a_big_sheet(tmp_path: Path) -> None:
    # The common case checked in C: 40,000 plain dates pass; one bad value among them is named.
    rows = "".join(f'<row r="{r}"><c r="B{r}" s="1"><v>{45000 + r % 300}</v></c></row>' for r in range(5, 40_000))
    check_package(book(tmp_path, rows.encode(), override={"xl/styles.xml": _STYLES}))
    bad = rows.replace('<v>45200</v></c></row><row r="20001">', '<v>-45200</v></c></row><row r="20001">', 1)
    assert bad != rows
    message = refusal(book(tmp_path, bad.encode(), name="bad.xlsx", override={"xl/styles.xml": _STYLES}))
    assert "工作表“数据”的单元格 B20000：值 -45200 设为日期格式" in message, message


# --- one regular-file read and one relationship reading for workbooks and templates -----------


def test_template_file_refusals_keep_the_template_wording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from perf_excel.documents import templates

    big = tmp_path / "大.docx"
    big.write_bytes(b"PK" + b"\0" * (3 << 20))
    monkeypatch.setattr(templates, "MAX_TEMPLATE_BYTES", 1 << 20)
    with pytest.raises(TemplateError, match=r"^大\.docx：模板文件有 3 MB（上限 1 MB），不像正常的 Word 模板$"):
        templates.load_template(big, "bulletin.docx")
    (tmp_path / "夹").mkdir()
    (tmp_path / "链接.docx").symlink_to(tmp_path / "夹")
    with pytest.raises(TemplateError, match=r"^链接\.docx：这是一个文件夹，不是 Word 模板$"):
        templates.load_template(tmp_path / "链接.docx", "bulletin.docx")


def test_workbook_outside_links_are_read_as_xml(tmp_path: Path) -> None:
    # The external mode written with single quotes, spaces around "=" and a character reference.
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b"<Relationship Id='rId9' Type='http://schemas.openxmlformats.org/officeDocument/2006/relationships/image'"
        b" Target = 'http://h/x.png' TargetMode = '&#69;xternal'/></Relationships>"
    )
    parts = {**xlsx_parts([Sheet("数据", [["a"]])]), "xl/worksheets/_rels/sheet1.xml.rels": rels}
    path = write_parts(tmp_path / "x.xlsx", parts)
    with pytest.raises(InputError, match=r"引用了文件外部的内容（image → “http://h/x.png”）"):
        check_package(path, allow_external=False)
    assert safety.outside_links({"word/_rels/document.xml.rels": rels.replace(b"/image", b"/hyperlink")}) == {
        "word/document.xml": {"rId9": "http://h/x.png"}
    }
