"""One hostile set of texts through every workbook writer: each keeps them as text, cleaned one way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perf_excel.cli import main
from perf_excel.xlsx.sanitize import sanitize
from tests.hostile_xlsx import Sheet, write_xlsx

HOSTILE = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=x", "\r=y", "#N/A", "甲\x01乙"]
#: Stored with the string type, text needs no prefix; only what XML cannot carry goes.
STORED = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=x", "\r=y", "#N/A", "甲乙"]
#: Typed into a live Excel, text Excel would evaluate gets its invisible text prefix.
#: Read from a workbook, names lose surrounding white space before any writer sees them.
READ = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=x", "=y", "#N/A", "甲乙"]
TYPED = ["'=1+1", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'\t=x", "'\r=y", "'#N/A", "甲乙"]


def _assessment(path: Path) -> Path:
    units = [["编码", "名称", "类别"], *[[f"U{k}", text, "区县"] for k, text in enumerate(HOSTILE)]]
    data = [["单位编码", "A1"], *[[f"U{k}", 90 + k] for k in range(len(HOSTILE))]]
    return write_xlsx(
        path,
        [
            Sheet("设置", [["项目", "值"], ["考核名称", "考核"], ["考核年度", 2025]]),
            Sheet(
                "指标",
                [
                    ["编码", "维度", "指标名称", "分值", "计分方法", "目标值"],
                    ["A1", "经济", "指标", 100, "完成比例", 100],
                ],
            ),
            Sheet("单位", units),
            Sheet("数据", data),
        ],
    )


def _column(path: Path, sheet: str, col: int, first: int, n: int) -> list[tuple[object, str]]:
    """(value, data type) of ``n`` cells of column ``col`` from row ``first``; no formula or error anywhere."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type not in ("f", "e") for c in row), f"{ws.title}: a formula or error cell"
    ws = wb[sheet]
    return [(ws.cell(first + k, col).value, ws.cell(first + k, col).data_type) for k in range(n)]


def test_sanitize_rules():
    assert [sanitize(t) for t in HOSTILE] == STORED
    assert [sanitize(t, typed=True) for t in HOSTILE] == TYPED
    assert sanitize(3.5) == 3.5 and sanitize(None) is None


@pytest.mark.parametrize("mode", ["-o", "--write-back"])
def test_results_and_write_back(tmp_path: Path, mode: str):
    book = _assessment(tmp_path / "考核.xlsx")
    out = tmp_path / "结果.xlsx"
    args = ["score", str(book), "-o", str(out)] if mode == "-o" else ["score", str(book), "--write-back"]
    assert main(args) == 0
    # 结果 column B is 单位名称, one row per unit in the order of 单位.
    got = _column(out if mode == "-o" else book, "结果", 2, 2, len(HOSTILE))
    assert got == [(text, "s") for text in READ]


def test_batch_summary(tmp_path: Path):
    from perf_excel.batch.summary import BatchSummary, FileRecord, _write_summary_xlsx

    files = [FileRecord(source=text, output_dir="", reason=text) for text in HOSTILE]
    summary = BatchSummary(in_dir="in", out_dir="out", options={}, files=files, ignored=[], started="")
    _write_summary_xlsx(summary, tmp_path / "s.xlsx")
    assert _column(tmp_path / "s.xlsx", "汇总", 1, 2, len(HOSTILE)) == [(text, "s") for text in STORED]


def test_yearbook_xlsx(tmp_path: Path):
    from perf_excel.documents.yearbook import write_yearbook_xlsx

    rows = [{"label": text, "cells": [text], "group": False} for text in HOSTILE]
    table = {"number": "表1", "title": "t", "unit": "", "stub": "单位", "years": ["2025"], "key": "text",
             "rows": rows, "notes": [], "source": "s"}  # fmt: skip
    path = write_yearbook_xlsx({"tables": [table]}, tmp_path / "年鉴.xlsx")
    # Rows 1–3 are the title, the unit line and the header.
    assert _column(path, "表1", 1, 4, len(HOSTILE)) == [(text, "s") for text in STORED]
    assert _column(path, "表1", 2, 4, len(HOSTILE)) == [(text, "s") for text in STORED]


def test_macros_writer():
    from perf_excel.macros import XlwingsBook
    from tests.test_udfs_macros import _XwBook

    xw_book = _XwBook(Path("."))
    XlwingsBook(xw_book).write_table("x", [HOSTILE])
    assert xw_book.sheets["x"].cells == [TYPED]


def test_write_back_of_a_copy_matches(tmp_path: Path):
    # The cells of -o and --write-back are the same (see test_xlsx_sheets); here only that the
    # source kept its own sheets beside the results.
    book = _assessment(tmp_path / "考核.xlsx")
    copy = Path(shutil.copy(book, tmp_path / "副本.xlsx"))
    assert main(["score", str(copy), "--write-back"]) == 0
    assert load_workbook(copy).sheetnames[:4] == ["设置", "指标", "单位", "数据"]
