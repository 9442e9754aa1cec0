"""Writing 结果 and 计分明细 back into the source workbook (``perf-excel score --write-back``).

The workbook is not loaded and re-saved by a spreadsheet library: that would drop
what the library does not understand (charts, form buttons, slicers) and the cached
values of every formula. Instead the two sheets are spliced into the package: their
XML parts are written (or replaced), the workbook's sheet list, relationships and
content types get one entry each, and a few cell styles are appended to styles.xml.
Every other part of the file, including the VBA project of an .xlsm, is copied byte
for byte.

Safety: a workbook open in Excel (its ``~$`` lock file is present, or the file cannot
be replaced) is left untouched with a clear message; the new file is written to a
temporary file in the same folder and moved into place only when complete; the
previous version is kept as ``<name>.bak``.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from perf_excel.core.assess import NOT_FOR_CATEGORY, Results
from perf_excel.core.errors import OutputError
from perf_excel.core.tables import col_letter
from perf_excel.files.outputs import backup_path, replace_with_backup
from perf_excel.xlsx import package as ooxml
from perf_excel.xlsx.writer import (
    ANOMALY_SHEET,
    DETAIL_LONG_LIMIT,
    DETAIL_SHEET,
    RESULT_SHEET,
    anomaly_header,
    anomaly_rows,
    detail_header,
    detail_rows,
    result_header,
    result_rows,
)

if TYPE_CHECKING:
    from perf_excel.core.anomalies import Anomaly

__all__ = ["backup_path", "lock_file", "replace_with_backup", "write_back"]

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WS_TYPE = _REL_NS + "/worksheet"
_WS_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Characters XML 1.0 cannot carry, even escaped.
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def lock_file(path: Path) -> Path | None:
    """Excel's lock file for ``path`` (``~$name.xlsx``) if one exists, else None.

    Excel names it ``~$`` + the file name, dropping the first two characters of long names.
    """
    for name in (f"~${path.name}", f"~${path.name[2:]}"):
        candidate = path.with_name(name)
        if candidate.exists():
            return candidate
    return None


# --- styles ------------------------------------------------------------------
class _Styles:
    """Indices of the cell formats appended to the workbook's styles.xml."""

    HEADER, TEXT, WRAP, NUMBER, INTEGER = range(5)

    def __init__(self, first_xf: int | None) -> None:
        self.first = first_xf

    def s(self, kind: int) -> str:
        return "" if self.first is None else f' s="{self.first + kind}"'


_CHILD = {"fonts": "font", "fills": "fill", "borders": "border", "cellXfs": "xf"}


def _append(xml: str, tag: str, items: Sequence[str]) -> tuple[str, int] | None:
    """Append ``items`` to the ``<tag count="..">`` list; (new xml, index of the first item added)."""
    m = re.search(rf"<{tag}\b([^>]*?)(/?)>", xml)
    if not m:
        return None
    attrs = re.sub(r'\s*count="\d+"', "", m.group(1))
    if m.group(2):  # an empty list written as <tag/>
        body, rest = "", xml[m.end() :]
    else:
        close = xml.find(f"</{tag}>", m.end())
        if close < 0:
            return None
        body, rest = xml[m.end() : close], xml[close + len(f"</{tag}>") :]
    existing = len(re.findall(rf"<{_CHILD[tag]}\b", body))
    block = f'<{tag}{attrs} count="{existing + len(items)}">{body}{"".join(items)}</{tag}>'
    return xml[: m.start()] + block + rest, existing


def _add_styles(styles_xml: str) -> tuple[str, int | None]:
    """Append our font, fill, border and five cell formats; (xml, index of the first format)."""
    root = re.search(r"<(\w+:)?styleSheet\b[^>]*>", styles_xml)
    if not root or root.group(1) or f'xmlns="{_MAIN_NS}"' not in root.group(0):
        return styles_xml, None  # an unusual prefix: write the sheets unstyled rather than risk it
    font = '<font><b/><sz val="11"/><name val="黑体"/><charset val="134"/></font>'
    fill = (
        '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'
    )
    side = '<{0} style="thin"><color rgb="FF808080"/></{0}>'
    border = "<border>" + "".join(side.format(s) for s in ("left", "right", "top", "bottom")) + "<diagonal/></border>"
    out = styles_xml
    results = []
    for tag, item in (("fonts", font), ("fills", fill), ("borders", border)):
        r = _append(out, tag, [item])
        if r is None:
            return styles_xml, None
        out, index = r
        results.append(index)
    font_id, fill_id, border_id = results
    base = f'borderId="{border_id}" xfId="0" applyBorder="1"'
    xfs = [
        f'<xf numFmtId="0" fontId="{font_id}" fillId="{fill_id}" {base} applyFont="1" applyFill="1" '
        'applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>',
        f'<xf numFmtId="0" fontId="0" fillId="0" {base} applyAlignment="1"><alignment vertical="center"/></xf>',
        f'<xf numFmtId="0" fontId="0" fillId="0" {base} applyAlignment="1">'
        '<alignment vertical="center" wrapText="1"/></xf>',
        f'<xf numFmtId="2" fontId="0" fillId="0" {base} applyNumberFormat="1" applyAlignment="1">'
        '<alignment vertical="center"/></xf>',
        f'<xf numFmtId="1" fontId="0" fillId="0" {base} applyNumberFormat="1" applyAlignment="1">'
        '<alignment horizontal="center" vertical="center"/></xf>',
    ]
    r = _append(out, "cellXfs", xfs)
    if r is None:
        return styles_xml, None
    return r


# --- sheet XML ---------------------------------------------------------------
def _cell(ref: str, value: object, style: str) -> str:
    if value is None:
        return f'<c r="{ref}"{style}/>' if style else ""
    if isinstance(value, bool):
        value = "是" if value else ""
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            return f'<c r="{ref}"{style}/>' if style else ""
        return (
            f'<c r="{ref}"{style}><v>{value!r}</v></c>'
            if isinstance(value, float)
            else (f'<c r="{ref}"{style}><v>{value}</v></c>')
        )
    text = escape(_BAD_XML.sub("", str(value)))
    # Inline strings are text, never formulas, whatever they start with.
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet_xml(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[float],
    kinds: Sequence[int],
    styles: _Styles,
) -> str:
    """A worksheet part: header row, frozen below it, borders, print set-up for A4 landscape."""
    letters = [col_letter(j) for j in range(len(header))]
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">',
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
        "<cols>",
        *(f'<col min="{j + 1}" max="{j + 1}" width="{w}" customWidth="1"/>' for j, w in enumerate(widths)),
        "</cols><sheetData>",
    ]
    hs = styles.s(_Styles.HEADER)
    parts.append('<row r="1" ht="24" customHeight="1">')
    parts.extend(_cell(f"{letters[j]}1", h, hs) for j, h in enumerate(header))
    parts.append("</row>")
    style_of = [styles.s(k) for k in kinds]
    r = 1
    for row in rows:
        r += 1
        parts.append(f'<row r="{r}">')
        parts.extend(_cell(f"{letters[j]}{r}", v, style_of[j]) for j, v in enumerate(row))
        parts.append("</row>")
    parts.append("</sheetData>")
    parts.append('<printOptions horizontalCentered="1"/>')
    parts.append('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>')
    parts.append('<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>')
    parts.append("<headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter>")
    parts.append("</worksheet>")
    return "".join(parts)


def _result_parts(results: Results, styles: _Styles, anomalies: Sequence[Anomaly] | None = None) -> dict[str, str]:
    """Sheet name -> sheet XML (数据异动预警 too when ``anomalies`` is given, even empty)."""
    header = result_header(results)
    n_dims = len(results.dimensions.columns)
    T, W, N, I = _Styles.TEXT, _Styles.WRAP, _Styles.NUMBER, _Styles.INTEGER  # noqa: E741
    kinds = [T, T, T, *[N] * n_dims, N, N, I, T, T, W]
    widths = [10, 22, 11, *[10] * n_dims, 9, 9, 9, 8, 6, 70]
    result = _sheet_xml(header, result_rows(results), widths, kinds, styles)
    n_detail = int((results.status.to_numpy() != NOT_FOR_CATEGORY).sum())
    if n_detail <= DETAIL_LONG_LIMIT:
        dkinds = [T, T, T, T, T, T, N, N, N, W]
        dwidths = [10, 22, 11, 11, 9, 26, 7, 10, 9, 60]
        detail = _sheet_xml(detail_header(), detail_rows(results), dwidths, dkinds, styles)
    else:
        # As write_results does: beyond DETAIL_LONG_LIMIT rows the long sheet with a text per row
        # took minutes and 6 GB at 10,000 units × 200 indicators; the wide sheet holds the scores.
        codes = [i.code for i in results.scheme.indicators]
        rows = ([code, *row] for code, row in zip(results.table.index, results.scores.to_numpy(dtype=float).tolist()))
        detail = _sheet_xml(["单位编码", *codes], rows, [10] + [9] * len(codes), [T] + [N] * len(codes), styles)
    parts = {RESULT_SHEET: result, DETAIL_SHEET: detail}
    if anomalies is not None:
        akinds = [T, T, T, T, T, N, W, T]
        awidths = [10, 22, 9, 24, 12, 10, 70, 14]
        parts[ANOMALY_SHEET] = _sheet_xml(anomaly_header(), anomaly_rows(anomalies), awidths, akinds, styles)
    return parts


# --- package -----------------------------------------------------------------
def _splice(source: dict[str, bytes], results: Results, anomalies: Sequence[Anomaly] | None = None) -> dict[str, bytes]:
    """The package's parts with 结果 and 计分明细 (and 数据异动预警) written in; other parts are left alone."""
    parts = dict(source)
    wb_path = ooxml.main_part(parts)
    wb_dir = wb_path.rsplit("/", 1)[0] if "/" in wb_path else ""
    rels_path = ooxml.rels_path(wb_path)
    workbook = parts[wb_path].decode("utf-8")
    rels = parts[rels_path].decode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")

    rel_list = ooxml.relationships(parts[rels_path])
    styles_path = None
    for rel in rel_list:
        if rel.type.endswith("/styles") and not rel.external:
            styles_path = ooxml.resolve(wb_dir, rel.target)
    first_xf = None
    if styles_path and styles_path in parts:
        styles_xml, first_xf = _add_styles(parts[styles_path].decode("utf-8"))
        if first_xf is not None:
            parts[styles_path] = styles_xml.encode("utf-8")
    styles = _Styles(first_xf)

    # The sheet list is parsed as XML: ``<sheet …></sheet>`` is a sheet as much as ``<sheet …/>``,
    # and missing one would add a second 结果 beside the old.
    rel_targets = {rel.id: ooxml.resolve(wb_dir, rel.target) for rel in rel_list if not rel.external}
    sheets = ooxml.workbook_sheets(parts[wb_path])
    by_name = {}
    for index, sheet in enumerate(sheets):
        by_name.setdefault(sheet.name, (index, rel_targets.get(sheet.rid)))
    sheet_ids = [int(s.sheet_id) if s.sheet_id.strip().isdigit() else 0 for s in sheets]
    next_id = max(sheet_ids, default=0) + 1
    next_index = len(sheets)
    existing_parts = {p.lower() for p in parts}
    n_part = 1
    rel_ids = {rel.id for rel in rel_list}
    new_sheet_tags, new_rels, new_types, titles, new_names = [], [], [], [], []
    for name, xml in _result_parts(results, styles, anomalies).items():
        if name in by_name:
            part = by_name[name][1]
            if part not in parts:
                raise ValueError(f"sheet {name} points to a missing part")
            parts[part] = xml.encode("utf-8")
            # The old sheet's drawings or comments belong to the old content.
            old_rels = f"{part.rsplit('/', 1)[0]}/_rels/{part.rsplit('/', 1)[1]}.rels"
            parts.pop(old_rels, None)
            continue
        while f"{wb_dir}/worksheets/sheet{n_part}.xml".lstrip("/").lower() in existing_parts:
            n_part += 1
        part = f"{wb_dir}/worksheets/sheet{n_part}.xml".lstrip("/")
        existing_parts.add(part.lower())
        rid = "rIdPerf1"
        k = 1
        while rid in rel_ids:
            k += 1
            rid = f"rIdPerf{k}"
        rel_ids.add(rid)
        parts[part] = xml.encode("utf-8")
        target = part[len(wb_dir) + 1 :] if wb_dir else part
        new_rels.append(f'<Relationship Id="{rid}" Type="{_WS_TYPE}" Target="{target}"/>')
        new_types.append(f'<Override PartName="/{part}" ContentType="{_WS_CONTENT}"/>')
        new_sheet_tags.append(f'<sheet xmlns:r="{_REL_NS}" name="{name}" sheetId="{next_id}" r:id="{rid}"/>')
        new_names.append(name)
        titles.append(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{next_index}">\'{name}\'!$1:$1</definedName>'
        )
        next_id += 1
        next_index += 1
    if new_sheet_tags:
        workbook = _insert_sheets(workbook, new_sheet_tags, titles)
        # The splice is text; what Excel will read is XML: it must hold exactly the old sheets and the new.
        if [s.name for s in ooxml.workbook_sheets(workbook.encode("utf-8"))] != [s.name for s in sheets] + new_names:
            raise ValueError("workbook.xml did not take the new sheets")
        rels = rels.replace("</Relationships>", "".join(new_rels) + "</Relationships>")
        types = types.replace("</Types>", "".join(new_types) + "</Types>")
        parts[wb_path] = workbook.encode("utf-8")
        parts[rels_path] = rels.encode("utf-8")
        parts["[Content_Types].xml"] = types.encode("utf-8")
    return parts


def _insert_sheets(workbook: str, sheet_tags: Sequence[str], titles: Sequence[str]) -> str:
    m = re.search(r"</([\w.-]+:)?sheets\s*>", workbook)
    if not m:
        raise ValueError("workbook.xml has no <sheets>")
    prefix = m.group(1) or ""
    if prefix:
        sheet_tags = [t.replace("<sheet ", f"<{prefix}sheet ") for t in sheet_tags]
        titles = [t.replace("<definedName", f"<{prefix}definedName").replace("</definedName", f"</{prefix}definedName")
                  for t in titles]  # fmt: skip
    workbook = workbook[: m.start()] + "".join(sheet_tags) + workbook[m.start() :]
    close = re.search(rf"</{prefix}definedNames\s*>", workbook)
    if close:
        return workbook[: close.start()] + "".join(titles) + workbook[close.start() :]
    after = re.search(rf"</{prefix}externalReferences\s*>", workbook) or re.search(rf"</{prefix}sheets\s*>", workbook)
    block = f"<{prefix}definedNames>" + "".join(titles) + f"</{prefix}definedNames>"
    return workbook[: after.end()] + block + workbook[after.end() :]


def write_back(results: Results, path: str | os.PathLike, anomalies: Sequence[Anomaly] | None = None) -> Path:
    """Write 结果 and 计分明细 into the workbook at ``path``, keeping everything else.

    With ``anomalies`` (even none), the 数据异动预警 sheet is written (or replaced) as well.

    Returns the backup path. Raises :class:`OutputError` (nothing changed) if the
    workbook is open in Excel, read-only, or cannot be written.
    """
    target = Path(path)
    lock = lock_file(target)
    if lock is not None:
        raise OutputError(
            f"{target.name}：工作簿正在 Excel 中打开（发现锁定文件 {lock.name}），请保存并关闭后重试；文件未做任何改动"
        )
    try:
        with zipfile.ZipFile(target) as zin:
            infos = zin.infolist()
            source = {i.filename: zin.read(i) for i in infos}
    except (OSError, zipfile.BadZipFile) as exc:
        raise OutputError(f"{target.name}：无法读取工作簿以写回结果（{exc}）；文件未做任何改动") from None
    try:
        parts = _splice(source, results, anomalies)
    except (KeyError, ValueError, UnicodeDecodeError):
        raise OutputError(
            f"{target.name}：工作簿结构不常见，无法安全写回；文件未做任何改动，请改用 -o 输出到单独的结果工作簿"
        ) from None

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            written = set()
            for info in infos:
                name = info.filename
                if name not in parts:
                    continue  # an old results sheet's relationships, dropped on purpose
                data = parts[name]
                if data is source.get(name):
                    zout.writestr(info, data)  # untouched: same bytes, same compression
                else:
                    zout.writestr(name, data, zipfile.ZIP_DEFLATED)
                written.add(name)
            for name, data in parts.items():
                if name not in written:
                    zout.writestr(name, data, zipfile.ZIP_DEFLATED)

    return replace_with_backup(target, write, "写回")
