"""Writing results workbooks (结果 and 计分明细) with openpyxl.

Outputs are written to a temporary file in the target folder and then moved into
place, so a crash never leaves a half-written workbook. Text that came from the input
is always written as text, never as a formula (formula injection).
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from perf_excel.core.assess import NOT_FOR_CATEGORY, Results
from perf_excel.core.errors import OutputError
from perf_excel.core.exante import EXEMPT_GRADE
from perf_excel.files.outputs import BUSY_IN_EXCEL, atomic_output

if TYPE_CHECKING:
    from perf_excel.core.anomalies import Anomaly

__all__ = [
    "result_rows",
    "detail_rows",
    "anomaly_header",
    "anomaly_rows",
    "results_path",
    "write_results",
    "RESULT_SHEET",
    "DETAIL_SHEET",
    "ANOMALY_SHEET",
]

RESULT_SHEET = "结果"
DETAIL_SHEET = "计分明细"
ANOMALY_SHEET = "数据异动预警"
#: Beyond this many (unit, indicator) rows the detail sheet is written wide, without text.
DETAIL_LONG_LIMIT = 1_000_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_HEADER_FONT = Font(name="黑体", bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


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


def safe_cell(ws: Worksheet, value: object, font: Font | None = None) -> WriteOnlyCell:
    """A write-only cell; text is always text, even when it starts with ``=``."""
    if isinstance(value, str):
        # Control characters XML cannot carry would make openpyxl raise mid-save (a unit name can carry them).
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        # openpyxl makes "=…" a formula and "#N/A", "#DIV/0!"… an error value; a name is text.
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _print_setup(ws: Worksheet) -> None:
    """A4 landscape, every column on one page width, the header repeated on each page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _write_sheet(
    ws: Worksheet,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int],
    formats: Sequence[str | None] = (),
) -> None:
    for j, w in enumerate(widths):
        ws.column_dimensions[_letter(j)].width = w
    ws.freeze_panes = "A2"
    _print_setup(ws)
    head = []
    for h in header:
        c = safe_cell(ws, h, _HEADER_FONT)
        c.fill = _HEADER_FILL
        c.border = _BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.append(c)
    ws.append(head)
    if not formats:
        for row in rows:
            ws.append([safe_cell(ws, v) if isinstance(v, str) else v for v in row])
        return
    for row in rows:
        cells = []
        for v, fmt in zip(row, formats):
            if isinstance(v, str):
                cells.append(safe_cell(ws, v))
            elif fmt and v is not None:
                c = WriteOnlyCell(ws, value=v)
                c.number_format = fmt
                cells.append(c)
            else:
                cells.append(v)
        ws.append(cells)


def _text_cell(ref: str, value: str) -> str:
    """An inline string: text, never a formula, whatever it starts with (as safe_cell)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _rows_xml(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Rows 2… as worksheet XML: text as inline strings, numbers as numbers, booleans as booleans,
    no cell for None or NaN, numbers to 16 significant digits — the cells openpyxl writes for plain
    values, without its ~4 µs a cell."""
    letters: list[str] = []
    for r, row in enumerate(rows, start=2):
        while len(letters) < len(row):
            letters.append(_letter(len(letters)))
        cells = []
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                cells.append(_text_cell(f"{letters[j]}{r}", v))
            elif isinstance(v, bool):
                cells.append(f'<c r="{letters[j]}{r}" t="b"><v>{int(v)}</v></c>')
            else:
                f = float(v)
                if math.isfinite(f):
                    cells.append(f'<c r="{letters[j]}{r}"><v>{f:.16g}</v></c>')
        yield f'<row r="{r}">{"".join(cells)}</row>'


def _wide_rows_xml(codes: Sequence[object], scores) -> Iterator[str]:
    """Rows 2… of the wide 计分明细 as worksheet XML: the unit code (always text) and its scores
    (numbers; no cell where the score is NaN, as openpyxl does for None)."""
    letters = [_letter(j) for j in range(scores.shape[1] + 1)]
    for r, (code, row) in enumerate(zip(codes, scores.tolist()), start=2):
        cells = [_text_cell(f"A{r}", str(code))]
        cells += [f'<c r="{letters[j]}{r}"><v>{v:.16g}</v></c>' for j, v in enumerate(row, 1) if math.isfinite(v)]
        yield f'<row r="{r}">{"".join(cells)}</row>'


def _append_rows(path: Path, sheet_no: int, rows: Iterable[str]) -> None:
    """Append ``rows`` (row XML) to the sheetData of worksheet ``sheet_no`` in the package saved at ``path``.

    openpyxl takes about 4 µs a cell; the wide 计分明细 of 10,000 units × 200 indicators has two
    million, which took most of ``perf-excel score``. Written as text here they take a fraction
    of that. The package is copied member by member beside ``path`` and then replaces it.
    """
    part = f"xl/worksheets/sheet{sheet_no}.xml"
    with atomic_output(path) as spliced:
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(spliced, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename != part:
                    zout.writestr(info, data)
                    continue
                head, end, tail = data.rpartition(b"</sheetData>")
                if not end:
                    raise OutputError(f"{path.name}：内部错误，{part} 没有 sheetData")
                with zout.open(part, "w", force_zip64=True) as fh:
                    fh.write(head)
                    batch: list[str] = []
                    for row in rows:
                        batch.append(row)
                        if len(batch) == 500:
                            fh.write("".join(batch).encode("utf-8"))
                            batch.clear()
                    fh.write("".join(batch).encode("utf-8"))
                    fh.write(end + tail)


def _letter(j: int) -> str:
    from perf_excel.core.tables import col_letter

    return col_letter(j)


def results_path(path: str | os.PathLike) -> Path:
    """Where :func:`write_results` writes for ``path``: always a ``.xlsx`` (``结果.xlsm`` -> ``结果.xlsx``,
    ``结果`` -> ``结果.xlsx``), so that a check against the source compares the file really written."""
    target = Path(path)
    if target.suffix.lower() == ".xlsx":
        return target
    # A results workbook has no macros: saved as .xlsm, Excel would refuse to open it.
    return target.with_name(target.stem + ".xlsx") if target.suffix.lower() == ".xlsm" else Path(f"{target}.xlsx")


def write_results(results: Results, path: str | os.PathLike, anomalies: Sequence[Anomaly] | None = None) -> Path:
    """Write 结果 and 计分明细 to a new workbook at ``path`` (replacing it atomically).

    With ``anomalies`` (even none), a 数据异动预警 sheet lists them too.
    """
    target = results_path(path)
    if not target.parent.exists():
        raise OutputError(f"{target}：输出文件夹不存在")
    # The temporary file first: a folder we cannot write into is reported before openpyxl starts
    # its sheets (abandoned half-written, they print "Exception ignored" tracebacks when collected).
    with atomic_output(target, BUSY_IN_EXCEL + "；原文件未改动") as tmp:
        wb = Workbook(write_only=True)
        header = result_header(results)
        ws = wb.create_sheet(RESULT_SHEET)
        widths = [12, 24, 12] + [10] * len(results.dimensions.columns) + [9, 9, 9, 8, 6, 60]
        n_dims = len(results.dimensions.columns)
        formats = [None, None, None, *["0.00"] * (n_dims + 2), "0", None, None, None]
        _write_sheet(ws, header, result_rows(results), widths, formats)
        n_detail = int((results.status.to_numpy() != NOT_FOR_CATEGORY).sum())
        ws = wb.create_sheet(DETAIL_SHEET)
        if n_detail <= DETAIL_LONG_LIMIT:
            # Up to a million rows of ten cells: spliced in as XML text too (see _append_rows).
            _write_sheet(ws, detail_header(), (), [12, 24, 12, 12, 10, 28, 7, 10, 9, 60])
            detail = _rows_xml(detail_rows(results))
        else:
            codes = [i.code for i in results.scheme.indicators]
            # Millions of plain numbers: openpyxl writes the header and the sheet's settings,
            # the rows are spliced in after saving (see _append_rows).
            _write_sheet(ws, ["单位编码", *codes], (), [12] + [9] * len(codes))
            detail = _wide_rows_xml(list(results.table.index), results.scores.to_numpy(dtype=float))
        if anomalies is not None:
            ws = wb.create_sheet(ANOMALY_SHEET)
            _write_sheet(ws, anomaly_header(), anomaly_rows(anomalies), [12, 24, 10, 24, 12, 10, 70, 14])
        wb.save(tmp)
        _append_rows(tmp, wb.sheetnames.index(DETAIL_SHEET) + 1, detail)
    return target
