"""Writing a new results workbook (``perf-excel score -o``): 结果, 计分明细 and 数据异动预警.

The sheets are those of ``--write-back`` (see :mod:`perf_excel.xlsx.sheets`), spliced into an
empty package built here, so both give the same cells, widths, formats and styles. The workbook
is written to a temporary file in the target folder and then moved into place, so a crash never
leaves a half-written workbook.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from perf_excel.core.assess import Results
from perf_excel.core.errors import OutputError
from perf_excel.files.outputs import BUSY_IN_EXCEL, atomic_output
from perf_excel.xlsx import package as ooxml
from perf_excel.xlsx.sheets import (
    ANOMALY_SHEET,
    DETAIL_LONG_LIMIT,
    DETAIL_SHEET,
    MAIN_NS,
    REL_NS,
    RESULT_SHEET,
    result_sheets,
)
from perf_excel.xlsx.writeback import splice_sheets

if TYPE_CHECKING:
    from perf_excel.core.anomalies import Anomaly

__all__ = ["ANOMALY_SHEET", "DETAIL_LONG_LIMIT", "DETAIL_SHEET", "RESULT_SHEET", "results_path", "write_results"]

_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: A workbook without sheets: the parts every .xlsx needs, and styles.xml with the defaults
#: Excel expects first in each list (one font, the two reserved fills, one border, one format).
_EMPTY_WORKBOOK = {
    "[Content_Types].xml": _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>",
    "_rels/.rels": _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": _XML_HEAD + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
    '<bookViews><workbookView activeTab="0"/></bookViews><sheets></sheets><calcPr calcId="191029"/></workbook>',
    "xl/_rels/workbook.xml.rels": _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{REL_NS}/styles" Target="styles.xml"/></Relationships>',
    "xl/styles.xml": _XML_HEAD + f'<styleSheet xmlns="{MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>",
}


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
    empty = {name: xml.encode("utf-8") for name, xml in _EMPTY_WORKBOOK.items()}
    parts = splice_sheets(empty, lambda styles: result_sheets(results, styles, anomalies, DETAIL_LONG_LIMIT))
    with atomic_output(target, BUSY_IN_EXCEL + "；原文件未改动") as tmp:
        ooxml.write_package(tmp, parts)
    return target
