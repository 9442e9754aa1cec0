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
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from . import ooxml
from .errors import InputError

__all__ = [
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_SHEET_CELLS",
    "MAX_TOTAL_BYTES",
    "PackageReport",
    "check_package",
    "check_template",
    "confine",
    "package_problem",
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


#: Relationship types that may point outside the package: a hyperlink is only a link.
_EXTERNAL_OK = ("/hyperlink",)


def _check_external(name: str, keep: dict[str, bytes]) -> None:
    """Refuse relationships to outside files (a picture, a sub-document, an attached template):
    LibreOffice would fetch them while converting to PDF, and they leak where we run."""
    for part, xml in keep.items():
        if not part.lower().endswith(".rels"):
            continue
        for rel in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", xml):
            if not re.search(rb'\sTargetMode="External"', rel):
                continue
            rtype = re.search(rb'\sType="([^"]*)"', rel)
            target = re.search(rb'\sTarget="([^"]*)"', rel)
            kind = rtype.group(1).decode("utf-8", "replace") if rtype else ""
            if kind.endswith(_EXTERNAL_OK):
                continue
            where = html.unescape(target.group(1).decode("utf-8", "replace")) if target else ""
            raise _refuse(
                name,
                f"{part} 引用了文件外部的内容（{kind.rsplit('/', 1)[-1] or '未知类型'} → “{where[:200]}”），"
                "出于安全考虑不予处理；请在 Office 中删除该链接（或嵌入该内容）后另存",
            )


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
    base_dir = Path(base).resolve()
    candidate = Path(path)
    full = (candidate if candidate.is_absolute() else base_dir / candidate).resolve()
    if full == base_dir or base_dir in full.parents:
        return full
    place = f"{where}：" if where else ""
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
    """Refuse a Word template that breaks a package limit or links to outside files (:class:`TemplateError`)."""
    from .errors import TemplateError

    try:
        check_package(data, name, allow_external=False)
    except InputError as exc:
        raise TemplateError(exc.message) from None


# --- text written into output workbooks ------------------------------------------------------

#: Characters XML 1.0 cannot carry (openpyxl refuses them mid-save).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Text starting with one of these would be a formula (or a DDE payload) if typed into Excel.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def xml_text(value: object) -> object:
    """``value`` with the characters XML cannot carry removed, if it is text (anything else unchanged)."""
    if isinstance(value, str) and _XML_ILLEGAL.search(value):
        return _XML_ILLEGAL.sub("", value)
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
    """Make every formula or error cell of an openpyxl ``workbook`` a text cell; returns how many.

    For workbooks whose every value comes from input data (the yearbook): openpyxl turns a
    string starting with ``=`` into a formula and ``#N/A`` into an error value, and a unit
    called ``=HYPERLINK(...)`` or ``#N/A`` must stay a name. Workbooks with formulas of our
    own must not be passed here.
    """
    changed = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type in ("f", "e"):
                    cell.data_type = "s"
                    changed += 1
    return changed
