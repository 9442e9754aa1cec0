"""The sheets we write into workbooks (结果, 计分明细, 数据异动预警): one specification.

``score -o`` (writer.py, a new workbook) and ``score --write-back`` (writeback.py, spliced into
the source workbook) write the same sheets from here: the same headers, column widths, number
formats, styles and cell serialisation, so one assessment gives the clerk one 结果 sheet.

Sheets are produced as worksheet XML in pieces (a generator), not through a spreadsheet
library: openpyxl takes about 4 µs a cell, and the 计分明细 of a large assessment has millions.
Text goes through :func:`perf_excel.xlsx.sanitize.inline_string` (text, never a formula);
numbers are written with ``repr`` (the shortest text that reads back as the same float).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING

from perf_excel.core.assess import NOT_FOR_CATEGORY, Results
from perf_excel.core.exante import EXEMPT_GRADE
from perf_excel.core.tables import col_letter
from perf_excel.xlsx.sanitize import inline_string

if TYPE_CHECKING:
    from perf_excel.core.anomalies import Anomaly

__all__ = [
    "ANOMALY_SHEET",
    "DETAIL_LONG_LIMIT",
    "DETAIL_SHEET",
    "RESULT_SHEET",
    "Styles",
    "add_styles",
    "anomaly_header",
    "anomaly_rows",
    "detail_header",
    "detail_rows",
    "result_header",
    "result_rows",
    "result_sheets",
]

RESULT_SHEET = "结果"
DETAIL_SHEET = "计分明细"
ANOMALY_SHEET = "数据异动预警"
#: Beyond this many (unit, indicator) rows the detail sheet is written wide, without text.
DETAIL_LONG_LIMIT = 1_000_000

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def result_header(results: Results) -> list[str]:
    dims = list(results.dimensions.columns)
    return ["单位编码", "单位名称", "类别", *dims, "加减分", "总分", "类别排名", "等次", "否决", "说明"]


def result_rows(results: Results) -> list[list[object]]:
    """The 结果 sheet's rows (without header), in the order of 单位."""
    dims = results.dimensions
    # Plain arrays: pandas' .at costs ~10 µs a call, once per unit and dimension.
    dim_pos = {code: i for i, code in enumerate(dims.index)}
    dim_array = dims.to_numpy(dtype=float)
    rows = []
    for code, r in results.table.iterrows():
        dim_values = [_cell_number(v) for v in dim_array[dim_pos[code]]]
        rows.append(
            [
                code,
                r["name"],
                r["category"],
                *dim_values,
                _cell_number(r["adjustment"]),
                float(r["total"]),
                int(r["rank"]),
                r["grade"],
                "是" if r["vetoed"] else "",
                results.total_explanation(code),
            ]
        )
    blanks = [None] * (len(dims.columns) + 3)
    for unit, reason in getattr(results.scheme, "exempt", ()):
        # 事前绩效评估: projects below the threshold are listed, not scored.
        rows.append([unit.code, unit.name, unit.category, *blanks, EXEMPT_GRADE, "", reason])
    return rows


def detail_header() -> list[str]:
    return ["单位编码", "单位名称", "类别", "维度", "指标编码", "指标名称", "分值", "实际值", "得分", "说明"]


def detail_rows(results: Results) -> Iterable[list[object]]:
    """The 计分明细 sheet's rows: one per unit and indicator that applies to it."""
    values = results.data.values
    # Positions and plain arrays: pandas' .at/.loc cost ~10 µs a call, and this runs per row.
    value_row = {u: i for i, u in enumerate(values.index)}
    value_col = {c: j for j, c in enumerate(values.columns)}
    value_arr = values.to_numpy(dtype=float)
    status_row = {u: i for i, u in enumerate(results.status.index)}
    status_col = {c: j for j, c in enumerate(results.status.columns)}
    status_arr = results.status.to_numpy()
    score_row = {u: i for i, u in enumerate(results.scores.index)}
    score_col = {c: j for j, c in enumerate(results.scores.columns)}
    score_arr = results.scores.to_numpy(dtype=float)
    table = results.table
    for code, name, category in zip(table.index, table["name"].tolist(), table["category"].tolist()):
        status = status_arr[status_row[code]]
        scores = score_arr[score_row[code]]
        for ind in results.scheme.indicators:
            if status[status_col[ind.code]] == NOT_FOR_CATEGORY:
                continue
            texts = results.data.texts.get(ind.code)
            if texts is not None:
                actual = texts.get(code, "")
            elif ind.code in value_col:
                actual = _cell_number(value_arr[value_row[code], value_col[ind.code]])
            else:
                actual = None
            yield [
                code,
                name,
                category,
                ind.dimension,
                ind.code,
                ind.name,
                ind.points,
                actual,
                _cell_number(scores[score_col[ind.code]]),
                results.explain(code, ind.code),
            ]


def anomaly_header() -> list[str]:
    return ["单位编码", "单位名称", "指标编码", "指标名称", "类型", "数值", "比较", "单元格"]


def anomaly_rows(anomalies: Iterable[Anomaly]) -> list[list[object]]:
    """The 数据异动预警 sheet's rows: one per warning, in the order they were found."""
    return [
        [
            a.unit,
            a.unit_name,
            a.indicator,
            a.indicator_name,
            a.kind,
            _cell_number(a.value),  # a plain float: numpy's repr is not a cell value
            a.comparison,
            f"{a.sheet}!{a.cell}" if a.sheet and a.cell else a.sheet,
        ]
        for a in anomalies
    ]


def _cell_number(value: object) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


# --- styles ------------------------------------------------------------------
class Styles:
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


def add_styles(styles_xml: str) -> tuple[str, int | None]:
    """Append our font, fill, border and five cell formats; (xml, index of the first format)."""
    root = re.search(r"<(\w+:)?styleSheet\b[^>]*>", styles_xml)
    if not root or root.group(1) or f'xmlns="{MAIN_NS}"' not in root.group(0):
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
    """One cell: text as an inline string, numbers with ``repr``, nothing (or only the style) for blanks."""
    if value is None:
        return f'<c r="{ref}"{style}/>' if style else ""
    if isinstance(value, bool):
        value = "是" if value else ""
    if isinstance(value, Integral):
        return f'<c r="{ref}"{style}><v>{int(value)}</v></c>'
    if isinstance(value, Real):
        number = float(value)
        if not math.isfinite(number):
            return f'<c r="{ref}"{style}/>' if style else ""
        return f'<c r="{ref}"{style}><v>{number!r}</v></c>'
    return inline_string(ref, str(value), style)


def sheet_xml(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[float],
    kinds: Sequence[int],
    styles: Styles,
) -> Iterator[str]:
    """A worksheet part, in pieces: header row, frozen below it, borders, print set-up for A4 landscape."""
    letters = [col_letter(j) for j in range(len(header))]
    yield "".join(
        [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
            '<sheetFormatPr defaultRowHeight="15"/>',
            "<cols>",
            *(f'<col min="{j + 1}" max="{j + 1}" width="{w}" customWidth="1"/>' for j, w in enumerate(widths)),
            "</cols><sheetData>",
        ]
    )
    hs = styles.s(Styles.HEADER)
    yield '<row r="1" ht="24" customHeight="1">' + "".join(_cell(f"{letters[j]}1", h, hs) for j, h in enumerate(header))
    yield "</row>"
    style_of = [styles.s(k) for k in kinds]
    batch: list[str] = []
    for r, row in enumerate(rows, start=2):
        batch.append(f'<row r="{r}">')
        batch.extend(_cell(f"{letters[j]}{r}", v, style_of[j]) for j, v in enumerate(row))
        batch.append("</row>")
        if len(batch) > 5000:
            yield "".join(batch)
            batch.clear()
    yield "".join(batch)
    yield (
        "</sheetData>"
        '<printOptions horizontalCentered="1"/>'
        '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        "<headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter>"
        "</worksheet>"
    )


# What each column is: its style (text, wrapped text, a number to two decimals, an integer) and
# width. Raw data values (实际值, an anomaly's 数值) keep Excel's General format: a rate of
# 0.0035 shown as "0.00" would hide it.
_T, _W, _N, _I = Styles.TEXT, Styles.WRAP, Styles.NUMBER, Styles.INTEGER


def result_sheets(
    results: Results,
    styles: Styles,
    anomalies: Sequence[Anomaly] | None = None,
    long_limit: int = DETAIL_LONG_LIMIT,
) -> dict[str, Iterator[str]]:
    """Sheet name -> worksheet XML in pieces: 结果, 计分明细 (and 数据异动预警 when ``anomalies`` is
    given, even empty). Beyond ``long_limit`` (unit, indicator) rows 计分明细 is written wide: one row
    per unit, one column of scores per indicator, without the explanations (the long sheet took
    minutes and 6 GB at 10,000 units × 200 indicators)."""
    n_dims = len(results.dimensions.columns)
    sheets = {
        RESULT_SHEET: sheet_xml(
            result_header(results),
            result_rows(results),
            [12, 24, 12, *[10] * n_dims, 9, 9, 9, 8, 6, 60],
            [_T, _T, _T, *[_N] * n_dims, _N, _N, _I, _T, _T, _W],
            styles,
        )
    }
    n_detail = int((results.status.to_numpy() != NOT_FOR_CATEGORY).sum())
    if n_detail <= long_limit:
        sheets[DETAIL_SHEET] = sheet_xml(
            detail_header(),
            detail_rows(results),
            [12, 24, 12, 12, 10, 28, 7, 10, 9, 60],
            [_T, _T, _T, _T, _T, _T, _N, _T, _N, _W],
            styles,
        )
    else:
        codes = [i.code for i in results.scheme.indicators]
        rows = (
            [str(code), *row] for code, row in zip(results.table.index, results.scores.to_numpy(dtype=float).tolist())
        )
        sheets[DETAIL_SHEET] = sheet_xml(
            ["单位编码", *codes], rows, [12] + [9] * len(codes), [_T] + [_N] * len(codes), styles
        )
    if anomalies is not None:
        sheets[ANOMALY_SHEET] = sheet_xml(
            anomaly_header(),
            anomaly_rows(anomalies),
            [12, 24, 10, 24, 12, 10, 70, 14],
            [_T, _T, _T, _T, _T, _T, _W, _T],
            styles,
        )
    return sheets
