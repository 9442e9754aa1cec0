"""Limits a package (.xlsx, .xlsm, .docx) must respect before any parser sees it, and path confinement.

Workbooks and templates arrive by e-mail and USB stick; a parser must never be the first
to find out that a file is hostile. :func:`check_package` reads the zip itself:

* the number of members, and each member's *declared* uncompressed size, against limits;
  two members whose names differ only in case are refused (python-calamine looks parts up
  without regard to case, Python's zipfile with it: each would read a different one);
* each member's *actual* size, by inflating it in a stream with a cap (the headers of a
  zip bomb lie; the data does not), so a small file that inflates to gigabytes is refused
  after reading at most the limit, never held in memory;
* every XML part for its encoding (Office writes UTF-8 only; a UTF-16 part would hide what
  follows from the byte searches below) and for a document type declaration
  (``<!DOCTYPE``/``<!ENTITY``, in any case, also across the boundary of two pieces read):
  Excel and Word never write one, and it is what external entities (XXE) and the billion
  laughs need;
* in a workbook, every run of text or markup between ``<`` and ``>``: one cell holds at most
  32,767 characters, and a single string of hundreds of megabytes (which python-calamine
  would hold several times over) is refused, as is a sharedStrings.xml beyond
  :data:`MAX_SHARED_STRINGS_BYTES`;
* every XML part of a workbook for the area a reader would allocate: python-calamine builds a
  dense grid from A1 to the farthest cell, so one value at ``XFD1048576`` would ask for 17
  billion cells and abort the process. References are read as python-calamine reads them
  (letters in either case, any number of digits and leading zeros, the attribute in either
  quote with spaces around ``=``, cells without ``r`` placed by counting); a cell beyond
  Excel's grid, a reference that cannot be read, or a sheet beyond :data:`MAX_SHEET_CELLS`
  is refused with the sheet and the cell named. A part that no relationship maps to a sheet
  is checked all the same;
* every numeric cell shown with a date or duration format (as python-calamine decides it
  from styles.xml) for a value outside Excel's dates: python-calamine panics on -1e20.

:func:`confine` keeps a path named inside a workbook (a template in 设置, for example)
inside the folder it is allowed to come from. :func:`outside_links` reads the relationships to
outside the package (only hyperlinks may point there); the checks of a Word template's parts
for links are in :mod:`perf_excel.documents.links`.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from perf_excel.core.errors import InputError
from perf_excel.core.tables import col_letter, col_number
from perf_excel.xlsx import package as ooxml
from perf_excel.xlsx.sanitize import XML_ILLEGAL

__all__ = [
    "EXCEL_COLS",
    "EXCEL_ROWS",
    "MAX_FILE_BYTES",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_SHARED_STRINGS_BYTES",
    "MAX_SHEET_CELLS",
    "MAX_TEXT_RUN",
    "MAX_TOTAL_BYTES",
    "PackageReport",
    "check_package",
    "REL_NAMESPACES",
    "confine",
    "outside_links",
    "package_problem",
]

#: Largest package file read (into memory, once: the bytes checked are the bytes parsed).
MAX_FILE_BYTES = 1 << 30
#: Most members a package may hold (Excel writes a few dozen).
MAX_MEMBERS = 20_000
#: Largest uncompressed member (a sheet of 1,000,000 rows × 20 columns is about 1 GB of XML).
MAX_MEMBER_BYTES = 1 << 30
#: Largest uncompressed package in total.
MAX_TOTAL_BYTES = 2 << 30
#: Largest area (rows × columns from A1 to the farthest cell) of one worksheet.
#: 100,000 units × 50 indicators is 5 million; python-calamine holds a cell in 32 bytes.
MAX_SHEET_CELLS = 50_000_000
#: Largest xl/sharedStrings.xml (python-calamine holds every string, then Python copies those read).
MAX_SHARED_STRINGS_BYTES = 256 << 20
#: A run of text or markup without ``<`` or ``>`` this long is refused in a workbook part: a cell
#: holds at most 32,767 characters (at most about 196 KB of XML even if every one were ``&quot;``).
#: The check looks at aligned blocks of this size, so a run three times as long is always caught.
MAX_TEXT_RUN = 256 << 10
#: Excel's grid: rows 1…1,048,576, columns A…XFD.
EXCEL_ROWS, EXCEL_COLS = 1_048_576, 16_384
#: The last date Excel shows, 9999-12-31, as a serial number (1900 and 1904 date systems).
LAST_DATE_1900, LAST_DATE_1904 = 2_958_465, 2_957_003

_CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
# quick-xml (python-calamine's parser) recognises <!doctype in any case.
_DOCTYPE = re.compile(rb"<!(?i:doctype|entity)")
_XML_DECL = re.compile(rb"""<\?xml\s[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_KEPT_LIMIT = 64 << 20

#: The quick scan (worksheets of :data:`QUICK_SCAN_BYTES` or more) does not find the farthest cell; it
#: proves the sheet lies inside ``QUICK_ROWS`` × ``QUICK_COLS`` (columns A…ZZ, rows up to 69,999 — no
#: assessment sheet comes near: 10,000 units × 200 indicators is 10,001 × 200), which is below
#: :data:`MAX_SHEET_CELLS`. Every ``r`` attribute must be written ``r="…"`` or ``r='…'`` (no space
#: around ``=``) with one or two capital letters and a row number below 70,000 (or a row number alone),
#: and every ``<c`` tag must begin with ``r``; no comment, CDATA section or processing instruction may
#: hide a tag, no cell may carry a namespace prefix. Each test is one C-level search that finds nothing
#: on a normal sheet; the first hit sends the whole part through the exact scans below.
QUICK_SCAN_BYTES = 4 << 20
QUICK_ROWS, QUICK_COLS = 69_999, 702
assert QUICK_ROWS * QUICK_COLS <= MAX_SHEET_CELLS
_SMALL_REF = rb"[A-Z]{0,2}(?:[1-9][0-9]{0,3}|[1-6][0-9]{4})"
# Any attribute name ending in r (header="0.3" too): the byte before it tells (see _quick_ok).
_QUICK_R = re.compile(rb"r(?:\s+=|=\s|=[^\"']|=\"(?!" + _SMALL_REF + rb"\")|='(?!" + _SMALL_REF + rb"'))")
_QUICK_CELL_WITHOUT_R = re.compile(rb"<c(?:>|/>|\s+(?!r=[\"']))")
_PREFIXED_CELL = re.compile(rb"<[^\s<>/!?]+:(?:c|v)[\s/>]")
_ATTR_START = b" \t\r\n\"'"
# The exact scan by regular expressions: every cell tag, and those whose first attribute is a plain r.
_C_TAG = re.compile(rb"<c[\s/>]")
_C_REF = re.compile(rb"<c\s+r\s*=\s*([\"'])([A-Za-z]+)([0-9]+)\1")
_V_ANY = re.compile(rb"<(?:[^\s<>/!?]+:)?v(?:\s[^>]*)?>([^<]*)")
#: A value plainly inside Excel's dates (0 to 2,949,999; the rest of the range is checked in Python).
_SAFE_DATE = rb"(?:[0-9]{1,6}|[01][0-9]{6}|2[0-8][0-9]{5}|29[0-4][0-9]{4})(?:\.[0-9]+)?(?:[eE]-[0-9]+)?"
_C_END = re.compile(rb"</(?:[^\s<>/!?]+:)?c\s*>")
_C_START = re.compile(rb"<(?:[^\s<>/!?]+:)?c[\s/>]")
_RAW_ATTR = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF_TEXT = re.compile(r"([A-Za-z]*)([0-9]+)")


@dataclass
class PackageReport:
    """What :func:`check_package` saw: sizes and each worksheet part's farthest cell."""

    members: int = 0
    total_bytes: int = 0
    #: part name -> (last row, last column), 1-based, as seen in cell references.
    extents: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class _Context:
    """What the parts read first (relationships, workbook.xml, styles.xml) tell about the others."""

    name: str
    keep: dict[str, bytes] = field(default_factory=dict)
    #: part name (lower case) -> sheet name, for messages.
    sheets: dict[str, str] = field(default_factory=dict)
    #: indexes of the cell formats python-calamine reads as dates or durations.
    date_styles: frozenset[int] = frozenset()
    #: an ``s`` attribute naming one of them (None when there is none).
    date_attr: re.Pattern[bytes] | None = None
    #: a cell with such an ``s`` that plainly holds a date (or nothing): the common case, checked in C.
    date_safe: re.Pattern[bytes] | None = None
    last_date: int = LAST_DATE_1900

    def where(self, member: str) -> str:
        sheet = self.sheets.get(member.lower())
        return f"工作表“{sheet}”" if sheet is not None else f"压缩包成员 {member} "


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB"


def _refuse(name: str, text: str) -> InputError:
    return InputError(f"{name}：{text}")


def _inflate(fh, info: zipfile.ZipInfo, cap: int, name: str) -> Iterator[bytes | None]:
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


def _pieces(chunks: Iterable[bytes | None]) -> Iterator[tuple[bytes, bool]]:
    """XML in pieces that end just before a ``<``: every tag and every text in a piece is whole.

    Yields ``(piece, forced)``; ``forced`` when a megabyte held no ``<`` and was cut anyway.
    """
    tail = b""
    for chunk in chunks:
        if chunk is None:
            return
        data = tail + chunk
        cut = data.rfind(b"<")
        if cut <= 0:
            if len(data) < _CHUNK:
                tail = data
                continue
            yield data, True
            tail = b""
            continue
        yield data[:cut], False
        tail = data[cut:]
    if tail:
        yield tail, False


def check_package(source: str | Path | bytes, display: str | None = None, allow_external: bool = True) -> PackageReport:
    """Refuse (:class:`InputError`) a package that breaks a limit; return what was seen.

    ``source`` is a path or the package's bytes; ``display`` is the name used in messages
    (the file name by default). With ``allow_external=False`` (templates) a relationship to
    a file outside the package, other than a hyperlink, is refused too.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        name = display or "文件"
        opener = lambda: io.BytesIO(source)  # noqa: E731
    else:
        path = Path(source)
        name = display or path.name
        opener = lambda: path.open("rb")  # noqa: E731
    report = PackageReport()
    try:
        with opener() as fh, zipfile.ZipFile(fh) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
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
            _check_names(name, infos)
            ctx = _Context(name)
            # Relationships, workbook.xml and styles.xml first: they name the sheets and the date formats.
            first = [i for i in infos if _is_kept(i.filename.lower())]
            for info in first:
                _check_member(fh, info, ctx, report)
            _read_context(ctx)
            for info in infos:
                if not _is_kept(info.filename.lower()):
                    _check_member(fh, info, ctx, report)
            if report.total_bytes > MAX_TOTAL_BYTES:
                raise _refuse(name, f"解压后超过 {_mb(MAX_TOTAL_BYTES)}，可能是“压缩炸弹”，已拒绝读取")
            if not allow_external:
                _check_external(name, ctx.keep)
    except zipfile.BadZipFile:
        raise _refuse(name, "文件已损坏（压缩包不完整），请重新保存或从备份恢复") from None
    except OSError as exc:
        raise _refuse(name, f"无法读取文件（{exc.strerror or exc}）") from None
    return report


def _is_kept(lower: str) -> bool:
    return lower.endswith((".rels", "workbook.xml")) or lower == "xl/styles.xml"


def _check_names(name: str, infos: list[zipfile.ZipInfo]) -> None:
    seen: dict[str, str] = {}
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            other = seen[key]
            same = "同名" if other == info.filename else f"与 {other} 仅大小写不同"
            raise _refuse(
                name,
                f"压缩包中的成员 {info.filename} {same}，不同的程序会读到不同的内容，可能是恶意构造的文件，已拒绝读取",
            )
        seen[key] = info.filename


def _check_encoding(name: str, member: str, head: bytes) -> None:
    """Office writes every XML part in UTF-8; another encoding would hide markup from the byte searches."""
    encoding = ""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        encoding = "UTF-16/UTF-32"
    else:
        m = _XML_DECL.match(head[3:] if head.startswith(b"\xef\xbb\xbf") else head)
        if m and m.group(1).strip().lower() not in (b"utf-8", b"us-ascii", b"ascii"):
            encoding = m.group(1).decode("ascii", "replace")[:40]
    if encoding:
        raise _refuse(
            name,
            f"{member} 使用 {encoding} 编码（Office 只写 UTF-8），可能是为躲避安全检查而构造的文件，已拒绝读取；"
            "请在 Office 中另存后重试",
        )


def _check_runs(name: str, member: str, piece: bytes) -> None:
    """Refuse a run of text or markup longer than a cell can hold (a block of the piece with no ``<`` or ``>``)."""
    block = MAX_TEXT_RUN
    for start in range(0, len(piece) - block + 1, block):
        if piece.find(b"<", start, start + block) == -1 and piece.find(b">", start, start + block) == -1:
            raise _refuse(
                name,
                f"{member} 含有一段超过 {block // 1024:,} KB 的连续文字（Excel 单元格最多 32,767 个字符），"
                "不像正常的工作簿，已拒绝读取",
            )


def _check_member(fh, info: zipfile.ZipInfo, ctx: _Context, report: PackageReport) -> None:
    name = ctx.name
    member = info.filename
    lower = member.lower()
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
    if lower == "xl/sharedstrings.xml" and info.file_size > MAX_SHARED_STRINGS_BYTES:
        raise _refuse(
            name,
            f"共享字符串表 {member} 解压后为 {_mb(info.file_size)}（上限 {_mb(MAX_SHARED_STRINGS_BYTES)}），"
            "不像正常的工作簿（考核表的文字通常不到 1 MB），已拒绝读取",
        )
    kept = _is_kept(lower)
    if kept and info.file_size > _KEPT_LIMIT:
        raise _refuse(name, f"压缩包成员 {member} 解压后为 {_mb(info.file_size)}，不像正常的 Office 文件，已拒绝读取")
    # Never inflate more than declared (+1 byte to notice a lie), nor more than the limits.
    cap = min(MAX_MEMBER_BYTES, MAX_TOTAL_BYTES - report.total_bytes, info.file_size + 1)
    is_xml = lower.endswith((".xml", ".rels", ".vml"))
    in_workbook = lower.startswith("xl/")
    state = {"size": 0, "crc": 0}
    overlap = b""
    held: list[bytes] = []

    def checked() -> Iterator[bytes]:
        nonlocal overlap
        for chunk in _inflate(fh, info, cap, name):
            if chunk is None:
                if cap > info.file_size:
                    raise _refuse(
                        name,
                        f"压缩包成员 {member} 解压后超过其声明的大小（{info.file_size:,} 字节），"
                        "文件被篡改或是“压缩炸弹”，已拒绝读取",
                    )
                raise _refuse(name, f"解压后超过 {_mb(MAX_TOTAL_BYTES)}，可能是“压缩炸弹”，已拒绝读取")
            if is_xml and not state["size"]:
                _check_encoding(name, member, chunk[:256])
            state["size"] += len(chunk)
            state["crc"] = zlib.crc32(chunk, state["crc"])
            if is_xml:
                # The last bytes of the previous chunk go along: a declaration split between two is found.
                window = overlap + chunk
                # "<!" first: a two-byte search runs at memchr speed, and "<!" is rare in Office XML.
                if b"<!" in window and _DOCTYPE.search(window):
                    raise _refuse(
                        name,
                        f"{member} 含有 XML 文档类型声明（<!DOCTYPE>/<!ENTITY>），Office 不会写出这种内容，"
                        "可能是恶意构造的文件（外部实体或“十亿笑声”攻击），已拒绝读取",
                    )
                overlap = window[-16:]
                if kept:
                    held.append(chunk)
            yield chunk

    scan = _CellScan(ctx, member, info.file_size >= QUICK_SCAN_BYTES) if is_xml and in_workbook else None
    if scan is None:
        for _ in checked():
            pass
    else:
        for piece, forced in _pieces(checked()):
            _check_runs(name, member, piece)
            scan.feed(piece, forced)
    if state["size"] != info.file_size or state["crc"] != info.CRC:
        raise _refuse(name, f"文件已损坏（压缩包成员 {member} 的大小或校验和不符），请重新保存或从备份恢复")
    report.total_bytes += state["size"]
    if kept:
        ctx.keep[member] = b"".join(held)
    if scan is not None:
        extent = scan.finish(lambda: _pieces(_inflate(fh, info, cap, name)))
        if extent is not None:
            report.extents[member] = extent


# --- what the first parts tell ----------------------------------------------------------------


def _read_context(ctx: _Context) -> None:
    """Sheet names (for messages), the date formats and the date system, from the parts kept."""
    by_lower = {k.lower(): v for k, v in ctx.keep.items()}
    for part, data in ctx.keep.items():
        if not part.lower().endswith("workbook.xml"):
            continue
        rels = by_lower.get(ooxml.rels_path(part).lower(), b"")
        try:
            targets = {r.id: r.target for r in ooxml.relationships(rels)} if rels else {}
            sheets = ooxml.workbook_sheets(data)
            root = ooxml.parse(data)
        except ValueError:
            continue
        base = part.rpartition("/")[0]
        for sheet in sheets:
            target = targets.get(sheet.rid)
            if not target:
                continue
            # As the relationship resolves, and as python-calamine joins it (``xl/`` + target, unresolved).
            ctx.sheets.setdefault(ooxml.resolve(base, target).lower(), sheet.name)
            literal = (
                target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
            )
            ctx.sheets.setdefault(literal.lower(), sheet.name)
        for el in root.iter():
            if isinstance(el.tag, str) and ooxml.local_name(el.tag) == "workbookPr":
                if el.get("date1904", "").strip().lower() in ("1", "true"):
                    ctx.last_date = LAST_DATE_1904
    styles = by_lower.get("xl/styles.xml")
    if styles is not None:
        try:
            ctx.date_styles = _date_styles(styles)
            if ctx.date_styles:
                alts = b"|".join(str(i).encode() for i in sorted(ctx.date_styles))
                ctx.date_attr = re.compile(rb"[\s\"']s\s*=\s*([\"'])0*(?:" + alts + rb")\1")
                ctx.date_safe = re.compile(
                    rb"<c\s[^<>]*?[\s\"']s\s*=\s*([\"'])0*(?:"
                    + alts
                    + rb")\1[^<>]*(?:/>|>(?:<f\b[^<]*(?:</f>)?)?(?:<v>"
                    + _SAFE_DATE
                    + rb"</v>)?(?:</c>|\Z))"
                )
        except ValueError:
            raise _refuse(
                ctx.name,
                "xl/styles.xml 不是格式正确的 XML，文件可能已损坏或被篡改，已拒绝读取；请在 Excel 中另存后重试",
            ) from None


#: Built-in number formats python-calamine reads as dates or durations (14–22, 45–47), and those
#: Chinese, Japanese and Korean Excel shows as dates (27–36, 50–58).
_BUILTIN_DATES = frozenset([*range(14, 23), 45, 46, 47, *range(27, 37), *range(50, 59)])
_RAW_TAG = re.compile(rb"""<[^\s/>]+((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*/?>""")


def _raw_attrs(data: bytes, at: int) -> dict[bytes, bytes]:
    """The attributes of the start tag at ``at``, as written (python-calamine reads a format code unescaped)."""
    m = _RAW_TAG.match(data, at)
    out: dict[bytes, bytes] = {}
    for key, dq, sq in _RAW_ATTR.findall(m.group(1) if m else b""):
        out.setdefault(key, dq or sq)
    return out


def _calamine_date_format(code: str, star_escapes: bool) -> bool:
    """python-calamine's reading of a custom number format: True for a date, time or duration.

    ``star_escapes``: newer versions take the character after ``*`` (a fill) as a literal.
    """
    escaped = is_quote = ap = hms = False
    brackets = 0
    prev = " "
    for s in code:
        if escaped:
            escaped = False
        elif s in "_\\" or (star_escapes and s == "*"):
            escaped = True
        elif is_quote:
            is_quote = s != '"'
        elif s == '"':
            is_quote = True
        elif s == ";":
            return False
        elif s == "[":
            brackets += 1
        elif s == "]" and brackets == 1 and hms:
            return True
        elif s == "]":
            brackets = max(0, brackets - 1)
        elif s in "aA" and not ap and not brackets:
            ap = True
        elif s in "pmPM/" and ap and not brackets:
            return True
        elif s in "dmhysDMHYS" and not ap and not brackets:
            return True
        elif not (hms and s.lower() == prev.lower()):
            hms = prev == "[" and s in "mhsMHS"
        prev = s
    return False


def _is_date_code(code: str) -> bool:
    return _calamine_date_format(code, True) or _calamine_date_format(code, False)


def _date_styles(data: bytes) -> frozenset[int]:
    """Indexes of the cell formats (``s`` of a cell) that python-calamine reads as dates or durations.

    Parsed as XML; each format is judged both as written and unescaped, since python-calamine
    takes a format code as written and an id byte for byte.
    """
    parser = expat.ParserCreate()
    codes: dict[bytes | str, list[str]] = {}
    xfs: list[tuple[bytes, str]] = []
    depth = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        local = tag.rpartition(":")[2]
        if local == "cellXfs":
            depth += 1
        elif local == "numFmt":
            raw = _raw_attrs(data, parser.CurrentByteIndex)
            texts = [attrs.get("formatCode", ""), raw.get(b"formatCode", b"").decode("utf-8", "replace")]
            for key in (raw.get(b"numFmtId", b""), attrs.get("numFmtId", "").strip().lstrip("0")):
                codes.setdefault(key, []).extend(texts)
        elif local == "xf" and depth:
            raw = _raw_attrs(data, parser.CurrentByteIndex)
            xfs.append((raw.get(b"numFmtId", b""), attrs.get("numFmtId", "").strip().lstrip("0")))

    def end(tag: str) -> None:
        nonlocal depth
        if tag.rpartition(":")[2] == "cellXfs":
            depth = max(0, depth - 1)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ValueError(str(exc)) from None
    out = set()
    for index, (raw_id, plain_id) in enumerate(xfs):
        texts = codes.get(raw_id, []) + codes.get(plain_id, [])
        builtin = {raw_id.decode("ascii", "replace").strip().lstrip("0"), plain_id}
        if any(_is_date_code(t) for t in texts) or any(b.isdigit() and int(b) in _BUILTIN_DATES for b in builtin):
            out.add(index)
    return frozenset(out)


# --- the farthest cell ------------------------------------------------------------------------


def _count_cell_tags(piece: bytes) -> int:
    # Six memchr-speed counts instead of one slower regular expression.
    return sum(piece.count(b"<c" + end) for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))


class _CellScan:
    """The farthest cell of one workbook part, and its date cells; fed the part piece by piece.

    Three ways to the farthest cell, each taken only when the one before cannot prove its answer:
    the quick scan (big parts, see :data:`QUICK_SCAN_BYTES`), the exact scan by regular
    expressions (every cell tag with ``r`` first, read as python-calamine reads it), and a real
    XML parse (expat) that places every cell as python-calamine does, skips empty ones, and
    refuses what is beyond Excel's grid or cannot be read.
    """

    def __init__(self, ctx: _Context, member: str, big: bool) -> None:
        self.ctx, self.member = ctx, member
        self.quick = big
        self.ok = True
        self.first = True
        self.cells = False
        self.rows = self.cols = 0
        self.open_cell: bytes | None = None

    def feed(self, piece: bytes, forced: bool) -> None:
        if self.ctx.date_attr is not None:
            self._dates(piece)
        if self.ok:
            self.ok = not forced and self._regular(piece) and (self._quick(piece) if self.quick else self._exact(piece))
        self.first = False

    def finish(self, again) -> tuple[int, int] | None:
        """The extent, reading the part ``again()`` when the first way could not prove it."""
        limit = MAX_SHEET_CELLS
        if self.quick and self.ok and (not self.cells or QUICK_ROWS * QUICK_COLS <= limit):
            return (QUICK_ROWS, QUICK_COLS) if self.cells else None
        if self.quick or not self.ok:
            self.quick, self.ok, self.first, self.rows, self.cols = False, True, True, 0, 0
            for piece, forced in again():
                self.ok = not forced and self._regular(piece) and self._exact(piece)
                self.first = False
                if not self.ok:
                    break
        if self.ok:
            if not self.cols:
                return None
            if self.rows <= EXCEL_ROWS and self.cols <= EXCEL_COLS and self.rows * self.cols <= limit:
                return self.rows, self.cols
        return _parsed_extent(self.ctx, self.member, again())

    def _regular(self, piece: bytes) -> bool:
        """No comment, CDATA or processing instruction that could hide a tag, no prefixed cell."""
        if b"<!" in piece or piece.find(b"<?", 4 if self.first else 0) != -1:
            return False
        return not ((b":c" in piece or b":v" in piece) and _PREFIXED_CELL.search(piece))

    def _quick(self, piece: bytes) -> bool:
        for m in _QUICK_R.finditer(piece):
            if m.start() == 0 or piece[m.start() - 1] in _ATTR_START:
                return False  # an r attribute written otherwise, or beyond the quick bound
        if _QUICK_CELL_WITHOUT_R.search(piece):
            return False
        self.cells = self.cells or _count_cell_tags(piece) > 0
        return True

    def _exact(self, piece: bytes) -> bool:
        n = _count_cell_tags(piece)
        if not n:
            return True
        refs = _C_REF.findall(piece)
        if len(refs) != n:
            return False  # a cell without r, or with r after another attribute: placed by counting
        digits = {d for _, _, d in refs}
        letters = {a for _, a, _ in refs}
        if max(map(len, digits)) > 9 or max(map(len, letters)) > 3:
            return False  # far beyond Excel's grid: the parse names the cell
        self.rows = max(self.rows, max(map(int, digits)))
        self.cols = max(self.cols, max(col_number(a.decode("ascii")) for a in letters))
        return True

    # -- dates --

    def _dates(self, piece: bytes) -> None:
        """Check the values of the date-formatted cells: found by their ``s``, rare on most sheets."""
        if self.open_cell is not None:  # a date cell whose values began in the previous piece
            tag, self.open_cell = self.open_cell, None
            self._date_values(tag, _cell_content(piece, 0)[0])
        rx = self.ctx.date_attr
        # Every element styled as a date is a cell plainly holding a date (or nothing): nothing to look
        # at, but a date cell left open at the end of the piece.
        if len(rx.findall(piece)) == len(self.ctx.date_safe.findall(piece)):
            last = max(piece.rfind(b"</c>"), piece.rfind(b"/>"), 0)
            matches = list(rx.finditer(piece, last))
        else:
            matches = list(rx.finditer(piece))
        for m in matches:
            start = piece.rfind(b"<", 0, m.start())
            if start < 0 or not _C_START.match(piece, start):
                continue  # a row's style, or another element's
            following = piece.find(b"<", m.end())
            end = piece.rfind(b">", m.end(), len(piece) if following < 0 else following)
            if end < 0 or piece[end - 1 : end] == b"/":
                continue  # <c … /> holds no value
            tag = piece[start : end + 1]
            content, closed = _cell_content(piece, end + 1)
            if not closed:
                self.open_cell = tag
            self._date_values(tag, content)

    def _date_values(self, tag: bytes, content: bytes) -> None:
        attrs = _raw_attrs(tag, 0)
        if attrs.get(b"t", b"n") != b"n":
            return
        for m in _V_ANY.finditer(content):
            text = m.group(1)
            try:
                value = float(text.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                continue  # python-calamine refuses it too, without harm
            last = self.ctx.last_date
            if math.isfinite(value) and 0 <= value < last + 1:
                continue
            ref = attrs.get(b"r", b"").decode("utf-8", "replace")[:20]
            shown = text.decode("ascii", "replace")[:40]
            raise _refuse(
                self.ctx.name,
                f"{self.ctx.where(self.member)}的单元格 {ref or '（无编号）'}：值 {shown} 设为日期格式，"
                f"但不在 Excel 的日期范围内（0 至 {last:,}，即 9999-12-31 之前），无法作为日期读取；"
                "请把该单元格改为“常规”或“数值”格式，或更正该值",
            )


def _cell_content(piece: bytes, at: int) -> tuple[bytes, bool]:
    """What a cell holds from ``at`` to its end tag (or the next cell); False when the piece ends first."""
    ends = [m.start() for m in (_C_END.search(piece, at), _C_START.search(piece, at)) if m]
    return (piece[at : min(ends)], True) if ends else (piece[at:], False)


def _parse_ref(text: str, need_col: bool) -> tuple[int, int] | None:
    """(row, column), 1-based, of a reference as python-calamine reads it; None if it cannot be read."""
    m = _REF_TEXT.fullmatch(text)
    if not m or (need_col and not m.group(1)):
        return None
    digits = m.group(2).lstrip("0")
    if not digits:
        return None
    # Beyond Excel either way; int() of thousands of digits is refused by Python itself.
    row = int(digits) if len(digits) <= 9 else EXCEL_ROWS + 1
    col = col_number(m.group(1)) if len(m.group(1)) <= 3 else EXCEL_COLS + 1
    return row, col


def _parsed_extent(ctx: _Context, member: str, pieces: Iterable[tuple[bytes, bool]]) -> tuple[int, int] | None:
    """The farthest non-empty cell by a real XML parse, placing cells as python-calamine does."""
    where = ctx.where(member)
    parser = expat.ParserCreate()
    state = {"row": 0, "col": 0, "open": None, "value": False}
    far = {"rows": 0, "cols": 0, "far_row": "", "far_col": ""}

    def unreadable(text: str) -> InputError:
        return _refuse(
            ctx.name,
            f"{where}中有无法识别的单元格引用 “{text[:40]}”（应如 A1、XFD1048576），文件可能已损坏或被篡改，已拒绝读取",
        )

    def record(row: int, col: int, ref: str | None) -> None:
        shown = ref or f"{col_letter(min(col, 10**6) - 1)}{row}"
        if row > EXCEL_ROWS or col > EXCEL_COLS:
            raise _refuse(
                ctx.name,
                f"{where}的单元格 {shown[:40]} 超出 Excel 的范围（最多 {EXCEL_ROWS:,} 行、{EXCEL_COLS:,} 列，"
                "即 A1 至 XFD1048576），不是 Excel 保存的文件，已拒绝读取",
            )
        shown = shown.upper()
        if row > far["rows"]:
            far["rows"], far["far_row"] = row, shown
        if col > far["cols"]:
            far["cols"], far["far_col"] = col, shown

    def reference(attrs: dict[str, str], need_col: bool) -> tuple[int, int] | None:
        """The tag's ``r`` as (row, column); None without one; refused when it cannot be read."""
        text = attrs.get("r")
        if text is None:
            return None
        ref = _parse_ref(text, need_col=need_col)
        if ref is None:
            raise unreadable(text)
        return ref

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition(":")[2]
        if state["open"] is not None:
            state["value"] = True  # any child (v, is, f…): counted as a value, to be safe
        if local == "row":
            ref = reference(attrs, need_col=False)
            if ref is not None:
                state["row"] = ref[0] - 1
        elif local == "c":
            if state["open"] is not None:
                record(*state["open"])
            ref = reference(attrs, need_col=True)
            if ref is not None:
                state["col"] = ref[1] - 1
                state["open"] = (ref[0], ref[1], attrs["r"])
            else:
                state["open"] = (state["row"] + 1, state["col"] + 1, None)
            state["value"] = False

    def end(tag: str) -> None:
        local = tag.rpartition(":")[2]
        if local == "c":
            if state["open"] is not None and state["value"]:
                record(*state["open"])
            state["open"] = None
            state["col"] += 1
        elif local == "row":
            state["row"] += 1
            state["col"] = 0

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        for piece, _ in pieces:
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _refuse(
            ctx.name,
            f"{where}（{member}）不是格式正确的 XML（第 {exc.lineno} 行），文件可能已损坏或被篡改，已拒绝读取；"
            "请在 Excel 中另存后重试",
        ) from None
    rows, cols = far["rows"], far["cols"]
    if not cols:
        return None
    if rows * cols > MAX_SHEET_CELLS:
        spots = dict.fromkeys(f for f in (far["far_col"], far["far_row"]) if f)
        raise _refuse(
            ctx.name,
            f"{where}的数据区域达 {rows:,} 行 × {cols:,} 列（从 A1 到最远的单元格 {'、'.join(spots)}），"
            f"超过上限 {MAX_SHEET_CELLS:,} 个单元格；请删除远处多余的单元格（或整行整列）后另存",
        )
    return rows, cols


def _check_external(name: str, keep: dict[str, bytes]) -> None:
    """Refuse relationships to outside files other than hyperlinks (see :func:`outside_links`)."""
    try:
        outside_links(keep)
    except ValueError as exc:
        raise _refuse(name, str(exc)) from None


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


# --- links to outside the package (workbooks and Word templates) ----------------------------


def outside_links(members: Mapping[str, bytes]) -> dict[str, dict[str, str]]:
    """Source part → {relationship id: target} of its hyperlinks to outside the package.

    Every relationship part is read as XML (:func:`~perf_excel.xlsx.package.relationships`); a
    relationship whose ``TargetMode`` is external (any quoting, spacing, case or character
    reference) or whose target is a URI or a UNC path is refused (``ValueError`` naming the part
    and the link) unless its type is a hyperlink: Office would read that file on opening.
    """
    links: dict[str, dict[str, str]] = {}
    for part, xml in members.items():
        if not part.lower().endswith(".rels"):
            continue
        try:
            rels = ooxml.relationships(xml)
        except ValueError as exc:
            raise ValueError(f"{part} 不是有效的 XML（{exc}），请在 Office 中另存后重试") from None
        for rel in rels:
            if not rel.external and not _URI.match(rel.target):
                continue
            kind = rel.type.strip()
            if kind in _HYPERLINK_TYPES:
                links.setdefault(_source_part(part), {})[rel.id] = rel.target
                continue
            raise ValueError(
                f"{part} 引用了文件外部的内容（{kind.rsplit('/', 1)[-1] or '未知类型'} → “{rel.target[:200]}”），"
                "出于安全考虑不予处理；请在 Office 中删除该链接（或嵌入该内容）后另存"
            )
    return links


#: The namespaces of relationship ids (transitional and strict OOXML).
REL_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_HYPERLINK_TYPES = frozenset(f"{ns}/hyperlink" for ns in REL_NAMESPACES)
_URI = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9+.\-]*:|[\\/]{2})")


def _source_part(rels_part: str) -> str:
    """``word/_rels/document.xml.rels`` → ``word/document.xml`` (``_rels/.rels`` → the package, "")."""
    folder, _, file = rels_part.rpartition("/")
    base = folder.rpartition("/")[0] if folder.endswith("_rels") else folder
    return f"{base}/{file[: -len('.rels')]}".lstrip("/") if file != ".rels" else base
