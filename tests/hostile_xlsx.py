"""A minimal .xlsx writer for hostile and fuzzed workbooks (tests and scripts only).

openpyxl refuses much of what a hostile file holds (control characters, NaN, a cell at
XFD1048576 without allocating, a lying ``<dimension>``, a DOCTYPE), so the tests build
packages themselves: every part is written as text, nothing is validated.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["Dated", "Error", "Formula", "Sheet", "cell_ref", "write_xlsx", "xlsx_bytes"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_CTRL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Formula:
    """A formula cell; ``cached`` is its stored value (None: never calculated)."""

    text: str
    cached: object = None


@dataclass(frozen=True)
class Dated:
    """A number stored under a date format: Excel keeps dates as serial numbers, and a crafted
    file can put any number there (``-1e20`` is no date a reader can build)."""

    serial: float


@dataclass(frozen=True)
class Error:
    """An error value such as ``#DIV/0!``."""

    code: str


@dataclass
class Sheet:
    name: str
    rows: Sequence[Sequence[object]] = ()
    merged: Sequence[str] = ()
    #: The ``<dimension ref>`` to claim (None: none written).
    dimension: str | None = None
    #: Extra cells far from the rest: (A1 reference, value).
    far: Sequence[tuple[str, object]] = ()
    #: Raw XML replacing the whole sheet part.
    raw: bytes | None = None
    state: str = "visible"
    extra: dict = field(default_factory=dict)


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) -> A1."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _text(value: str) -> str:
    # Control characters travel as _xHHHH_ escapes, as Excel writes them.
    return escape(_CTRL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value))


def _num(value: float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("INF" if value > 0 else "-INF")
    return repr(value)


def _cell(ref: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        cached = value.cached
        inner = f"<f>{_text(value.text)}</f>"
        if cached is None:
            return f'<c r="{ref}">{inner}</c>'
        if isinstance(cached, str):
            return f'<c r="{ref}" t="str">{inner}<v>{_text(cached)}</v></c>'
        if isinstance(cached, Error):
            return f'<c r="{ref}" t="e">{inner}<v>{_text(cached.code)}</v></c>'
        return f'<c r="{ref}">{inner}<v>{_num(cached)}</v></c>'
    if isinstance(value, Dated):
        return f'<c r="{ref}" s="1"><v>{_num(value.serial)}</v></c>'
    if isinstance(value, Error):
        return f'<c r="{ref}" t="e"><v>{_text(value.code)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        serial = (value - datetime(1899, 12, 30)).total_seconds() / 86400
        return f'<c r="{ref}" s="2"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - date(1899, 12, 30)).days}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{_num(value)}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>'


def _sheet_xml(sheet: Sheet) -> bytes:
    if sheet.raw is not None:
        return sheet.raw
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_R}">']
    if sheet.dimension:
        out.append(f'<dimension ref="{sheet.dimension}"/>')
    out.append("<sheetData>")
    far_by_row: dict[int, list[tuple[int, str, object]]] = {}
    for ref, value in sheet.far:
        # Written as given: a lower-case ``xfd1048576`` is a reference a crafted file may hold.
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", ref)
        col = 0
        for ch in m.group(1).upper():
            col = col * 26 + ord(ch) - 64
        far_by_row.setdefault(int(m.group(2)), []).append((col, ref, value))
    n = len(sheet.rows)
    for i, row in enumerate(sheet.rows):
        cells = "".join(_cell(cell_ref(i, j), v) for j, v in enumerate(row))
        extra = far_by_row.pop(i + 1, [])
        cells += "".join(_cell(ref, v) for _, ref, v in sorted(extra))
        if cells:
            out.append(f'<row r="{i + 1}">{cells}</row>')
    for r in sorted(far_by_row):
        if r <= n:
            continue
        cells = "".join(_cell(ref, v) for _, ref, v in sorted(far_by_row[r]))
        out.append(f'<row r="{r}">{cells}</row>')
    out.append("</sheetData>")
    if sheet.merged:
        out.append(f'<mergeCells count="{len(sheet.merged)}">')
        out.extend(f'<mergeCell ref="{m}"/>' for m in sheet.merged)
        out.append("</mergeCells>")
    out.append("</worksheet>")
    return "".join(out).encode("utf-8")


_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)


def xlsx_parts(sheets: Sequence[Sheet], vba: bytes | None = None) -> dict[str, bytes]:
    """The parts of a workbook holding ``sheets`` (an .xlsm with a VBA project if ``vba``)."""
    main_type = (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        if vba is not None
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    )
    types = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>',
        f'<Override PartName="/xl/workbook.xml" ContentType="{main_type}"/>',
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>',
    ]
    rels = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PR}">']
    tags = []
    parts: dict[str, bytes] = {}
    for k, sheet in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{k}.xml"] = _sheet_xml(sheet)
        types.append(
            f'<Override PartName="/xl/worksheets/sheet{k}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
        rels.append(f'<Relationship Id="rId{k}" Type="{_R}/worksheet" Target="worksheets/sheet{k}.xml"/>')
        state = "" if sheet.state == "visible" else f' state="{sheet.state}"'
        tags.append(f'<sheet name="{escape(sheet.name, {chr(34): "&quot;"})}" sheetId="{k}"{state} r:id="rId{k}"/>')
    n = len(sheets)
    rels.append(f'<Relationship Id="rId{n + 1}" Type="{_R}/styles" Target="styles.xml"/>')
    if vba is not None:
        parts["xl/vbaProject.bin"] = vba
        types.append('<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>')
        rels.append(
            f'<Relationship Id="rId{n + 2}" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
            'Target="vbaProject.bin"/>'
        )
    types.append("</Types>")
    rels.append("</Relationships>")
    parts["[Content_Types].xml"] = "".join(types).encode("utf-8")
    parts["_rels/.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PR}">'
        f'<Relationship Id="rId1" Type="{_R}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ).encode()
    parts["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_R}">'
        f"<sheets>{''.join(tags)}</sheets></workbook>"
    ).encode()
    parts["xl/_rels/workbook.xml.rels"] = "".join(rels).encode("utf-8")
    parts["xl/styles.xml"] = _STYLES.encode("utf-8")
    return parts


def write_parts(path: str | Path, parts: Mapping[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in parts.items():
            # A fixed date: the committed corpus is the same every time it is built.
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compression)
    return path


def write_xlsx(
    path: str | Path,
    sheets: Sequence[Sheet],
    vba: bytes | None = None,
    override: Mapping[str, bytes] | None = None,
) -> Path:
    """Write ``sheets`` as a workbook at ``path``; ``override`` replaces or adds raw parts."""
    parts = xlsx_parts(sheets, vba)
    parts.update(override or {})
    return write_parts(path, parts)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in xlsx_parts(sheets).items():
            zf.writestr(name, data)
    return buf.getvalue()
