"""Limits a package (.xlsx, .xlsm, .docx) must respect before any parser sees it, and path confinement.

Workbooks and templates arrive by e-mail and USB stick; a parser must never be the first
to find out that a file is hostile. :func:`check_package` reads the zip itself:

* the number of members, and each member's *declared* uncompressed size, against limits;
* each member's *actual* size, by inflating it in a stream with a cap (the headers of a
  zip bomb lie; the data does not), so a small file that inflates to gigabytes is refused
  after reading at most the limit, never held in memory;
* every XML part for a document type declaration (``<!DOCTYPE``/``<!ENTITY``): Excel and
  Word never write one, and it is what external entities (XXE) and the billion laughs
  need. (python-calamine does not expand entities, openpyxl parses through defusedxml, and
  python-docx's parser does not resolve entities; this check makes the refusal explicit.)
* every worksheet for the area a reader would allocate: python-calamine builds a dense
  grid from A1 to the farthest cell, so one value at ``XFD1048576`` would ask for 17
  billion cells and abort the process. The farthest cells are found in the XML (a lying
  ``<dimension>`` is ignored); a sheet beyond :data:`MAX_SHEET_CELLS` is refused with the
  sheet and the cell named.

:func:`confine` keeps a path named inside a workbook (a template in 设置, for example)
inside the folder it is allowed to come from.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from lxml import etree

from . import ooxml
from .errors import InputError

__all__ = [
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_SHEET_CELLS",
    "MAX_TOTAL_BYTES",
    "PackageReport",
    "check_package",
    "LinkError",
    "XML_ILLEGAL",
    "check_links",
    "check_template",
    "confine",
    "package_links",
    "package_problem",
    "part_link_problem",
]

#: Most members a package may hold (Excel writes a few dozen).
MAX_MEMBERS = 20_000
#: Largest uncompressed member (a sheet of 1,000,000 rows × 20 columns is about 1 GB of XML).
MAX_MEMBER_BYTES = 1 << 30
#: Largest uncompressed package in total.
MAX_TOTAL_BYTES = 2 << 30
#: Largest area (rows × columns from A1 to the farthest cell) of one worksheet.
#: 100,000 units × 50 indicators is 5 million; python-calamine holds a cell in 32 bytes.
MAX_SHEET_CELLS = 50_000_000
_CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_DOCTYPE = (b"<!DOCTYPE", b"<!ENTITY")
# Any whitespace before ``r``, around ``=``, and either quote: XML allows them and a reader honours them.
_REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]{0,3})([0-9]{1,7})["']""")
_LETTERS, _DIGITS = itemgetter(0), itemgetter(1)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]{1,3})([0-9]{1,7})["']""")

#: The quick scan (worksheets of :data:`QUICK_SCAN_BYTES` or more) does not find the farthest cell; it
#: proves the sheet lies inside ``QUICK_ROWS`` × ``QUICK_COLS`` (columns A…ZZ, rows up to 69,999 — no
#: assessment sheet comes near: 10,000 units × 200 indicators is 10,001 × 200), which is below
#: :data:`MAX_SHEET_CELLS`. Every ``r="…"`` value must be one or two letters and a row number below
#: 70,000 (or a row number alone), and every ``<c`` tag must begin with ``r="`` (no cell placed by
#: counting, no ``r`` after another attribute, no prefixed ``<x:c``). Each test is one C-level search
#: that finds nothing on a normal sheet; the first hit sends the whole part through the exact scan below.
QUICK_SCAN_BYTES = 4 << 20
QUICK_ROWS, QUICK_COLS = 69_999, 702
assert QUICK_ROWS * QUICK_COLS <= MAX_SHEET_CELLS
_QUICK_FAR_REF = re.compile(rb"""r=["'](?![A-Z]{0,2}(?:[1-9][0-9]{0,3}|[1-6][0-9]{4})["'])""")
_QUICK_CELL_WITHOUT_R = re.compile(rb"<c(?:>|/>|\s+(?!r=))")


@dataclass
class PackageReport:
    """What :func:`check_package` saw: sizes and each worksheet part's farthest cell."""

    members: int = 0
    total_bytes: int = 0
    #: part name -> (last row, last column), 1-based, as seen in cell references.
    extents: dict[str, tuple[int, int]] = field(default_factory=dict)


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB"


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _refuse(name: str, text: str) -> InputError:
    return InputError(f"{name}：{text}")


def _inflate(fh, info: zipfile.ZipInfo, cap: int, name: str):
    """Yield the member's data in chunks, inflated here (not trusting its declared size), at most ``cap`` bytes."""
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise _refuse(name, f"文件已损坏（压缩包成员 {info.filename} 的位置无效），请重新保存或从备份恢复")
    fields = _LOCAL_HEADER.unpack(header)
    fh.seek(info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10])
    left = info.compress_size
    produced = 0
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0:
        raw = fh.read(min(_CHUNK, left))
        if not raw:
            break
        left -= len(raw)
        if inflater is None:
            pieces = [raw]
        else:
            pieces = []
            data = raw
            while data:
                try:
                    out = inflater.decompress(data, _CHUNK)
                except zlib.error:
                    raise _refuse(
                        name, f"文件已损坏（压缩包成员 {info.filename} 无法解压），请重新保存或从备份恢复"
                    ) from None
                pieces.append(out)
                produced += len(out)
                if produced > cap:
                    break
                data = inflater.unconsumed_tail
                if inflater.eof:
                    break
        for piece in pieces:
            if inflater is None:
                produced += len(piece)
            if produced > cap:
                yield None  # over the cap: the caller refuses
                return
            yield piece
        if inflater is not None and inflater.eof:
            break


def check_package(source: str | Path | bytes, display: str | None = None, allow_external: bool = True) -> PackageReport:
    """Refuse (:class:`InputError`) a package that breaks a limit; return what was seen.

    ``source`` is a path or the package's bytes; ``display`` is the name used in messages
    (the file name by default). With ``allow_external=False`` (templates) a relationship to
    a file outside the package, other than a hyperlink, is refused too.
    """
    if isinstance(source, (bytes, bytearray)):
        name = display or "文件"
        opener = lambda: io.BytesIO(source)  # noqa: E731
    else:
        path = Path(source)
        name = display or path.name
        opener = lambda: path.open("rb")  # noqa: E731
    report = PackageReport()
    try:
        with opener() as fh, zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            report.members = len(infos)
            if len(infos) > MAX_MEMBERS:
                raise _refuse(
                    name, f"压缩包含 {len(infos):,} 个成员（上限 {MAX_MEMBERS:,}），不像正常的 Office 文件，已拒绝读取"
                )
            declared = sum(i.file_size for i in infos)
            if declared > MAX_TOTAL_BYTES:
                raise _refuse(
                    name,
                    f"解压后大小声明为 {_mb(declared)}（上限 {_mb(MAX_TOTAL_BYTES)}），可能是“压缩炸弹”，已拒绝读取",
                )
            keep: dict[str, bytes] = {}
            for info in infos:
                if info.is_dir():
                    continue
                _check_member(fh, info, name, report, keep)
            if report.total_bytes > MAX_TOTAL_BYTES:
                raise _refuse(name, f"解压后超过 {_mb(MAX_TOTAL_BYTES)}，可能是“压缩炸弹”，已拒绝读取")
            _check_areas(zf, fh, name, report, keep)
            if not allow_external:
                _check_external(name, keep)
    except zipfile.BadZipFile:
        raise _refuse(name, "文件已损坏（压缩包不完整），请重新保存或从备份恢复") from None
    except OSError as exc:
        raise _refuse(name, f"无法读取文件（{exc.strerror or exc}）") from None
    return report


def _check_member(fh, info: zipfile.ZipInfo, name: str, report: PackageReport, keep: dict[str, bytes]) -> None:
    member = info.filename
    if info.flag_bits & 0x1:
        raise _refuse(name, f"压缩包成员 {member} 已加密，无法读取；请在 Office 中取消密码后另存")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _refuse(name, f"压缩包成员 {member} 使用了 Office 不使用的压缩方式，已拒绝读取；请在 Office 中另存后重试")
    if info.file_size > MAX_MEMBER_BYTES:
        raise _refuse(
            name,
            f"压缩包成员 {member} 解压后声明为 {_mb(info.file_size)}（上限 {_mb(MAX_MEMBER_BYTES)}），"
            "可能是“压缩炸弹”，已拒绝读取",
        )
    # Never inflate more than declared (+1 byte to notice a lie), nor more than the limits.
    cap = min(MAX_MEMBER_BYTES, MAX_TOTAL_BYTES - report.total_bytes, info.file_size + 1)
    lower = member.lower()
    is_xml = lower.endswith((".xml", ".rels", ".vml"))
    small = lower.endswith((".rels", "workbook.xml"))
    size = 0
    crc = 0
    tail = b""
    rows = cols = 0
    row_tags_total = rless = 0
    held: list[bytes] = []
    quick = is_xml and not small and info.file_size >= QUICK_SCAN_BYTES
    rescan = bounded = False
    for chunk in _inflate(fh, info, cap, name):
        if chunk is None:
            if cap > info.file_size:
                raise _refuse(
                    name,
                    f"压缩包成员 {member} 解压后超过其声明的大小（{info.file_size:,} 字节），"
                    "文件被篡改或是“压缩炸弹”，已拒绝读取",
                )
            raise _refuse(name, f"解压后超过 {_mb(MAX_TOTAL_BYTES)}，可能是“压缩炸弹”，已拒绝读取")
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
        if not is_xml:
            continue
        data = tail + chunk
        # "!" first: a one-byte search runs at memchr speed, and "!" is rare in XML.
        if b"!" in data and (_DOCTYPE[0] in data or _DOCTYPE[1] in data):
            raise _refuse(
                name,
                f"{member} 含有 XML 文档类型声明（<!DOCTYPE>/<!ENTITY>），Office 不会写出这种内容，"
                "可能是恶意构造的文件（外部实体或“十亿笑声”攻击），已拒绝读取",
            )
        cut = data.rfind(b">") + 1
        if cut == 0 and len(data) < (1 << 20):
            tail = data
            continue
        body, tail = (data[:cut], data[cut:]) if cut else (data, b"")
        if quick:
            if (
                _QUICK_FAR_REF.search(body)
                or _QUICK_CELL_WITHOUT_R.search(body)
                or (b":" in body and b":c" in body)  # ":" alone first, at memchr speed
            ):
                quick, rescan = False, True  # the exact scan reads the part again from its start
            else:
                bounded = bounded or b'<c r="' in body
            continue
        if rescan:
            continue
        rows, cols, row_tags_total, rless = _scan_refs(body, rows, cols, row_tags_total, rless)
        if small:
            held.append(body)
    if small:
        held.append(tail)
        keep[member] = b"".join(held)
    if size != info.file_size or crc != info.CRC:
        raise _refuse(name, f"文件已损坏（压缩包成员 {member} 的大小或校验和不符），请重新保存或从备份恢复")
    report.total_bytes += size
    if rescan:
        bounded = False
        tail = b""
        for chunk in _inflate(fh, info, cap, name):
            data = tail + (chunk or b"")
            cut = data.rfind(b">") + 1
            if cut == 0 and len(data) < (1 << 20):
                tail = data
                continue
            body, tail = (data[:cut], data[cut:]) if cut else (data, b"")
            rows, cols, row_tags_total, rless = _scan_refs(body, rows, cols, row_tags_total, rless)
    if bounded and not rless and not cols:
        report.extents[member] = (QUICK_ROWS, QUICK_COLS)
    if is_xml and rless:
        rows, cols = max(rows, row_tags_total), max(cols, min(rless, 16_384))
    if is_xml and cols:
        report.extents[member] = (rows, cols)


def _scan_refs(body: bytes, rows: int, cols: int, row_tags_total: int, rless: int) -> tuple[int, int, int, int]:
    """The exact scan of one piece of a part: farthest row and column referenced, rows, cells without ``r``."""
    # Cells and rows without an ``r`` are placed by counting (rare, but a reader honours it).
    row_tags = body.count(b"<row")
    n_cells = body.count(b"<c ") + body.count(b"<c>") + body.count(b"<c/>")
    refs = _REF.findall(body)
    row_tags_total += row_tags
    rless += max(0, n_cells - (len(refs) - min(row_tags, len(refs))))
    if refs:
        # max() over map() runs in C: a Python loop over two million references took
        # longer than python-calamine's whole read of the sheet.
        rows = max(rows, max(map(int, map(_DIGITS, refs))))
        letters = set(map(_LETTERS, refs))
        letters.discard(b"")
        if letters:
            cols = max(cols, max(map(_col_number, letters)))
    return rows, cols, row_tags_total, rless


def _check_external(name: str, keep: dict[str, bytes]) -> None:
    """Refuse relationships to outside files other than hyperlinks (see :func:`package_links`)."""
    try:
        package_links(keep)
    except LinkError as exc:
        raise _refuse(name, str(exc)) from None


def _sheet_parts(keep: dict[str, bytes]) -> dict[str, str]:
    """Worksheet part -> sheet name, from workbook.xml and its relationships."""
    out: dict[str, str] = {}
    for wb_part, xml in keep.items():
        if not wb_part.lower().endswith("workbook.xml"):
            continue
        folder = wb_part.rsplit("/", 1)[0] if "/" in wb_part else ""
        rels = keep.get(f"{folder}/_rels/{wb_part.rsplit('/', 1)[-1]}.rels".lstrip("/"), b"")
        targets = {}
        for rel in re.findall(rb"<Relationship\b[^>]*>", rels):
            rid = re.search(rb'\sId="([^"]*)"', rel)
            target = re.search(rb'\sTarget="([^"]*)"', rel)
            if rid and target:
                t = target.group(1).decode("utf-8", "replace")
                targets[rid.group(1)] = t.lstrip("/") if t.startswith("/") else f"{folder}/{t}".lstrip("/")
        for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", xml):
            sheet = re.search(rb'\sname="([^"]*)"', tag)
            rid = re.search(rb'\s\w+:id="([^"]*)"', tag)
            if sheet and rid and rid.group(1) in targets:
                out[ooxml.resolve("", targets[rid.group(1)])] = html.unescape(sheet.group(1).decode("utf-8", "replace"))
    return out


def _check_areas(zf: zipfile.ZipFile, fh, name: str, report: PackageReport, keep: dict[str, bytes]) -> None:
    sheets = _sheet_parts(keep)
    for part, (rows, cols) in report.extents.items():
        if rows * cols <= MAX_SHEET_CELLS or part not in sheets:
            continue
        # The quick scan counts every reference; a reader skips empty self-closed cells
        # (``<c r="XFD1048576" s="3"/>``, formatting only), so look again, cell by cell.
        rows, cols, far = _precise_extent(fh, zf.getinfo(part), name)
        if rows * cols <= MAX_SHEET_CELLS:
            report.extents[part] = (rows, cols)
            continue
        raise _refuse(
            name,
            f"工作表“{sheets[part]}”的数据区域达 {rows:,} 行 × {cols:,} 列（从 A1 到最远的单元格 {far}），"
            f"超过上限 {MAX_SHEET_CELLS:,} 个单元格；请删除远处多余的单元格（或整行整列）后另存",
        )


_TOKEN = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*?)(/?)>")
_ROW_R = re.compile(rb"""\sr\s*=\s*["']([0-9]{1,7})["']""")


def _precise_extent(fh, info: zipfile.ZipInfo, name: str) -> tuple[int, int, str]:
    """The farthest non-empty cell, placing rows and cells without ``r`` by counting, as a reader does."""
    rows = cols = 0
    far_row = far_col = ""
    row = col = 0
    tail = b""
    for chunk in _inflate(fh, info, MAX_MEMBER_BYTES, name):
        data = tail + (chunk or b"")
        cut = data.rfind(b">") + 1
        body, tail = data[:cut], data[cut:]
        for kind, attrs, closed in _TOKEN.findall(body):
            if kind == b"row":
                m = _ROW_R.search(attrs)
                row, col = (int(m.group(1)) if m else row + 1), 0
                continue
            m = _CELL_REF.search(attrs)
            if m:
                row, col = int(m.group(2)), _col_number(m.group(1))
            else:
                col += 1
            if closed:
                continue  # an empty formatted cell: a reader skips it
            ref = f"{_col_letters(col)}{max(row, 1)}"
            if row > rows:
                rows, far_row = row, ref
            if col > cols:
                cols, far_col = col, ref
    far = far_col if far_col == far_row else "、".join(f for f in (far_col, far_row) if f)
    return rows, cols, far or "—"


def confine(path: str | Path, base: str | Path, what: str, where: str = "") -> Path:
    """``path`` (relative to ``base`` unless absolute) if it lies inside ``base``; else :class:`InputError`.

    Used for file names that come from a workbook or a template: ``../../etc/passwd`` or
    ``/etc/passwd`` in a 设置 cell must not make the program read or write outside the
    folder it was given. Symbolic links are resolved before the comparison.
    """
    place = f"{where}：" if where else ""
    shown = XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", str(path))
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    if "\x00" in str(path):
        raise InputError(f"{place}{what} “{shown}” 含有空字符（NUL），不是有效的文件名")
    try:
        base_dir = Path(base).resolve()
        candidate = Path(path)
        full = (candidate if candidate.is_absolute() else base_dir / candidate).resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # a name too long, a symlink loop
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError(f"{place}{what} “{shown}” 不是可用的文件路径（{reason}）") from None
    if full == base_dir or base_dir in full.parents:
        return full
    raise InputError(
        f"{place}{what} “{path}” 指向文件夹 {base_dir} 之外，出于安全考虑不予使用；请把文件放在该文件夹内并只写文件名"
    )


def package_problem(path: str | Path, display: str | None = None) -> str | None:
    """Why the workbook at ``path`` must not be parsed, in one Chinese sentence; None if it may be."""
    try:
        check_package(path, display)
    except InputError as exc:
        return exc.message
    return None


def check_template(name: str, data: bytes) -> None:
    """Refuse (:class:`TemplateError`) a Word template that breaks a package limit or would make
    LibreOffice or Word read another file: a relationship to outside the package other than a
    hyperlink, a picture or object linked instead of embedded, a field that includes or links
    another file, an altChunk, a sub-document, an attached template (see :func:`part_link_problem`)."""
    from .errors import TemplateError

    try:
        check_package(data, name)
    except InputError as exc:
        raise TemplateError(exc.message) from None
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # sizes checked above
        members = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    check_links(name, members)


# --- links to outside the package (templates and the documents rendered from them) ---------------

_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_HYPERLINK_TYPES = frozenset(f"{ns}/hyperlink" for ns in _REL_NS)
_OFFICE_NS = "urn:schemas-microsoft-com:office:office"
#: Elements that may use a hyperlink relationship (a text hyperlink, a hyperlink on a drawing).
_HYPERLINK_ELEMENTS = frozenset({"hyperlink", "hlinkClick", "hlinkHover"})
#: Elements that bring another file's content in, whatever their relationship says.
_INCLUDING_ELEMENTS = {
    "altChunk": "导入的外部文档片段（altChunk）",
    "subDoc": "子文档（subDoc）",
    "attachedTemplate": "附加的模板（开发工具→文档模板）",
    "frameset": "框架（frameset）",
    "objectLink": "链接的对象（objectLink）",
}
#: Field codes that read another file or program (Word and LibreOffice update them on opening or converting).
_FETCHING_FIELDS = frozenset(
    {"INCLUDEPICTURE", "INCLUDETEXT", "INCLUDE", "LINK", "DDE", "DDEAUTO", "IMPORT", "DATABASE", "RD"}
)
#: Names (elements and attributes) that the checks below look at; a part naming none of them
#: and using no outside relationship is not parsed (the body of a large document is hundreds of MB).
_LINK_MARKERS = (
    "instrText", "fldSimple", "link", "src", "href", "relid", "OLEObject", *_INCLUDING_ELEMENTS,
)  # fmt: skip
_URI = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9+.\-]*:|[\\/]{2})")
_XML_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")


class LinkError(Exception):
    """A template part that would make Office read another file (the message names part and link)."""


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def _parse_part(part: str, xml: str | bytes) -> etree._Element:
    try:
        return etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml, _xml_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise LinkError(f"{part} 不是有效的 XML（{exc}），请在 Word 中另存为 .docx 后重试") from None


def _local(name: object) -> str:
    return name.rsplit("}", 1)[-1] if isinstance(name, str) else ""


def _namespace(name: str) -> str:
    return name[1:].split("}", 1)[0] if name.startswith("{") else ""


def _source_part(rels_part: str) -> str:
    """``word/_rels/document.xml.rels`` → ``word/document.xml`` (``_rels/.rels`` → the package, "")."""
    folder, _, file = rels_part.rpartition("/")
    base = folder.rpartition("/")[0] if folder.endswith("_rels") else folder
    return f"{base}/{file[: -len('.rels')]}".lstrip("/") if file != ".rels" else base


def package_links(members: Mapping[str, bytes]) -> dict[str, dict[str, str]]:
    """Source part → {relationship id: target} of its hyperlinks to outside the package.

    Every relationship part is parsed as XML; a relationship whose ``TargetMode`` is external (any
    quoting, spacing, case or character reference) or whose target is a URI or a UNC path is
    refused (:class:`LinkError`) unless its type is a hyperlink.
    """
    links: dict[str, dict[str, str]] = {}
    for part, xml in members.items():
        if not part.lower().endswith(".rels"):
            continue
        root = _parse_part(part, xml)
        for rel in root.iter():
            if _local(rel.tag) != "Relationship":
                continue
            target = rel.get("Target") or ""
            if (rel.get("TargetMode") or "").strip().lower() != "external" and not _URI.match(target):
                continue
            kind = (rel.get("Type") or "").strip()
            if kind in _HYPERLINK_TYPES:
                links.setdefault(_source_part(part), {})[rel.get("Id") or ""] = target
                continue
            raise LinkError(
                f"{part} 引用了文件外部的内容（{kind.rsplit('/', 1)[-1] or '未知类型'} → “{target[:200]}”），"
                "出于安全考虑不予处理；请在 Office 中删除该链接（或嵌入该内容）后另存"
            )
    return links


def _utf8_compatible(xml: bytes) -> bool:
    """Whether the markers of :data:`_LINK_MARKERS` can be searched in ``xml`` as bytes."""
    head = xml[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<") or b"\x00" in head:
        return False
    if head.startswith(b"<?xml"):
        m = _XML_ENCODING.search(head.split(b"?>", 1)[0])
        return m is None or m.group(1).lower() in (b"utf-8", b"utf8", b"us-ascii", b"ascii")
    return True


def part_link_problem(
    part: str, xml: str | bytes, hyperlinks: Mapping[str, str] | None = None, strict: bool = True
) -> str | None:
    """What in one XML part would make Office read another file, in one Chinese sentence; None if nothing.

    ``hyperlinks`` are the part's relationships to outside the package (all hyperlinks, see
    :func:`package_links`): only a hyperlink element may use them. Checked: relationship attributes
    (``r:id``, ``r:embed``, ``r:link``, ``o:relid``…) that use one elsewhere, a picture or medium
    linked instead of embedded (``r:link``), VML ``src``/``o:href`` addresses, a linked OLE object,
    field codes (``fldSimple`` and ``instrText`` runs, joined per field) that include or link
    another file, and altChunk, subDoc, attachedTemplate, frameset and objectLink elements.
    A part that is not well-formed XML is a problem too, unless not ``strict``.
    """
    hyperlinks = hyperlinks or {}
    if not hyperlinks:
        if isinstance(xml, str):
            if not any(m in xml for m in _LINK_MARKERS):
                return None
        elif _utf8_compatible(xml) and not any(m.encode() in xml for m in _LINK_MARKERS):
            return None
    try:
        root = _parse_part(part, xml)
    except LinkError as exc:
        return str(exc) if strict else None
    # The fields open at this point, innermost last: [instruction pieces, instruction complete?].
    # A nested field's result text counts as instruction of the fields around it (Word builds
    # ``{ {QUOTE "INCLUDEPICTURE"} "…" }`` that way).
    fields: list[tuple[list[str], list[bool]]] = []
    for el in root.iter():
        tag = _local(el.tag)
        if not tag:
            continue  # a comment or processing instruction
        if tag in _INCLUDING_ELEMENTS:
            return (
                f"{part} 含有{_INCLUDING_ELEMENTS[tag]}，会读取其他文件，出于安全考虑不予处理；请在 Office 中删除后另存"
            )
        for attr, value in el.attrib.items():
            name, ns = _local(attr), _namespace(attr)
            if ns in _REL_NS or name == "relid":
                if name == "link":
                    return (
                        f"{part} 含有链接（而非嵌入）的图片或媒体，出于安全考虑不予处理；"
                        "请在 Word 中插入图片时不要选“链接到文件”（或删除后重新插入）后另存"
                    )
                if value in hyperlinks and tag not in _HYPERLINK_ELEMENTS:
                    return (
                        f"{part} 中的 {tag} 使用了指向文件外部的链接（→ “{hyperlinks[value][:200]}”），"
                        "只有超链接可以指向文件外部，出于安全考虑不予处理；请在 Office 中删除后另存"
                    )
            elif (name == "src" or (name == "href" and ns == _OFFICE_NS)) and value.strip():
                return (
                    f"{part} 含有指向其他文件的图片地址（“{value[:200]}”），出于安全考虑不予处理；"
                    "请在 Word 中把图片改为嵌入后另存"
                )
            elif tag == "OLEObject" and name == "Type" and value.strip().lower() == "link":
                return (
                    f"{part} 含有链接的对象（OLE 链接），会读取其他文件，出于安全考虑不予处理；请在 Office 中删除后另存"
                )
            elif tag == "fldSimple" and name == "instr":
                problem = _field_problem(part, value)
                if problem:
                    return problem
            elif tag == "fldChar" and name == "fldCharType":
                kind = value.strip().lower()
                if kind == "begin":
                    fields.append(([], [False]))
                elif kind == "separate" and fields:
                    fields[-1][1][0] = True
                elif kind == "end" and fields:
                    problem = _field_problem(part, "".join(fields.pop()[0]))
                    if problem:
                        return problem
        if tag in ("instrText", "delInstrText"):
            if fields:
                fields[-1][0].append(el.text or "")
            else:
                problem = _field_problem(part, el.text or "")
                if problem:
                    return problem
        elif tag in ("t", "delText") and el.text:
            for pieces, done in fields[:-1]:
                if not done[0]:
                    pieces.append(el.text)
    for pieces, _ in fields:  # fields never closed
        problem = _field_problem(part, "".join(pieces))
        if problem:
            return problem
    return None


def _field_problem(part: str, instruction: str) -> str | None:
    # Every word outside quotes: the field's name, and a name a lenient reader may find further on.
    words = re.sub(r'"[^"]*"', " ", instruction).replace("{", " ").replace("}", " ").split()
    if any(w.strip("\\").upper() in _FETCHING_FIELDS for w in words):
        code = " ".join(instruction.split())[:120]
        return (
            f"{part} 含有会读取其他文件的域代码 “{code}”，出于安全考虑不予处理；"
            "请在 Word 中删除该域（Alt+F9 可显示域代码）后另存"
        )
    return None


def check_links(name: str, members: Mapping[str, bytes], rendered: bool = False) -> dict[str, dict[str, str]]:
    """Check every part of a Word package (:func:`package_links`, :func:`part_link_problem`);
    :class:`TemplateError` naming ``name`` and the part (and saying it is in the ``rendered`` document).
    Returns the hyperlinks of :func:`package_links`."""
    from .errors import TemplateError

    where = "渲染结果中，" if rendered else ""
    try:
        links = package_links(members)
    except LinkError as exc:
        raise TemplateError(f"{name}：{where}{exc}") from None
    for part, xml in members.items():
        lower = part.lower()
        if lower.endswith(".rels"):
            continue  # read above
        named_xml = lower.endswith((".xml", ".vml"))
        if not named_xml and not _looks_like_xml(xml):
            continue  # pictures and other binaries
        # A part not named .xml that does not parse is not XML (a reader would not take it for any).
        problem = part_link_problem(part, xml, links.get(part), strict=named_xml)
        if problem:
            raise TemplateError(f"{name}：{where}{problem}")
    return links


def _looks_like_xml(data: bytes) -> bool:
    head = data[:64]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return True  # UTF-16/32
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


# --- text written into output workbooks ------------------------------------------------------

#: Characters XML 1.0 cannot carry (openpyxl refuses them mid-save, lxml refuses them in text, and a
#: lone surrogate cannot even be encoded as UTF-8).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Text starting with one of these would be a formula (or a DDE payload) if typed into Excel.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def xml_text(value: object) -> object:
    """``value`` with the characters XML cannot carry removed, if it is text (anything else unchanged)."""
    if isinstance(value, str) and XML_ILLEGAL.search(value):
        return XML_ILLEGAL.sub("", value)
    return value


def clean_texts(value: object) -> object:
    """A copy of ``value`` (dicts, lists and tuples walked) with every text made XML-safe."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, dict):
        return {k: clean_texts(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean_texts(v) for v in value)
    return value


def cells_as_text(workbook) -> int:
    """Make every formula cell of an openpyxl ``workbook`` a text cell; returns how many.

    For workbooks whose every value comes from input data (the yearbook): openpyxl turns a
    string starting with ``=`` into a formula, and a unit called ``=HYPERLINK(...)`` must
    stay a name. Workbooks with formulas of our own must not be passed here.
    """
    changed = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    changed += 1
    return changed
