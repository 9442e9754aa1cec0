"""Reading assessment workbooks (.xlsx/.xlsm) into tables, the scheme and the data.

This is the only module that opens workbooks for reading. python-calamine reads the
values (fast); the core checks them. Every problem is reported with the file name.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

from python_calamine import CalamineWorkbook

from .build import build_scheme
from .dataset import Dataset
from .errors import InputError, Problem
from .model import Scheme
from .numbers import is_blank
from .tables import Table, canonical_sheet, col_letter

__all__ = ["read_tables", "read_workbook", "open_problem"]

#: A column that identifies each contract sheet's header row.
_HEADER_MARKERS: Mapping[str, tuple[str, ...]] = {
    "设置": ("项目", "key", "item"),
    "指标": ("编码", "code", "指标编码"),
    "单位": ("编码", "code", "单位编码"),
    "数据": ("单位编码", "编码", "unit", "code"),
    "加减分": ("单位编码", "unit"),
    "否决": ("单位编码", "unit"),
    "修正": ("单位编码", "unit"),
    "结果": ("单位编码", "unit"),
    "历年": ("单位编码", "年度", "unit", "year"),
}
SUFFIXES = (".xlsx", ".xlsm")


def open_problem(path: Path) -> str | None:
    """Why ``path`` cannot be opened as a workbook, in one Chinese sentence; None if it can."""
    name = path.name
    if not path.exists():
        return f"{name}：文件不存在，请检查路径"
    if path.is_dir():
        return f"{name}：这是一个文件夹，不是工作簿"
    suffix = path.suffix.lower()
    if suffix in (".xls", ".et"):
        return f"{name}：不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后重试"
    if suffix in (".csv", ".txt"):
        return f"{name}：这是 CSV/文本文件，不是工作簿；请使用 perf-excel new 生成的 .xlsx 模板"
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"{name}：文件已加密（设有打开密码）或为旧版 .xls 格式，请在 Excel 中取消密码并另存为 .xlsx 后重试"
    if not head.startswith(b"PK"):
        return f"{name}：文件已损坏或不是 Excel 工作簿（.xlsx/.xlsm），请重新导出"
    if not zipfile.is_zipfile(path):
        return f"{name}：文件已损坏（压缩包不完整），请重新保存或从备份恢复"
    if suffix not in SUFFIXES:
        return f"{name}：扩展名 {suffix or '（无）'} 不是 .xlsx 或 .xlsm"
    return None


def _header_row(rows: list[list[object]], markers: tuple[str, ...]) -> int:
    """Index of the header row: the first of the top rows naming a marker column,
    else the first non-empty row (title rows above the header are allowed)."""
    wanted = {m.lower() for m in markers}
    first = None
    for i, row in enumerate(rows[:15]):
        texts = {str(v).strip().lower() for v in row if not is_blank(v)}
        if texts and first is None:
            first = i
        if texts & wanted:
            return i
    return 0 if first is None else first


def _to_table(name: str, canon: str, rows: list[list[object]], file: str) -> Table:
    h = _header_row(rows, _HEADER_MARKERS.get(canon, ()))
    header = rows[h] if rows else []
    # The header decides the width; trailing blank header cells are not columns.
    width = len(header)
    while width and is_blank(header[width - 1]):
        width -= 1
    columns = tuple("" if is_blank(v) else str(v).strip() for v in header[:width])
    body = rows[h + 1 :]
    # Trailing empty rows (formatted but never filled) are not data.
    end = len(body)
    while end and all(is_blank(v) for v in body[end - 1][:width]):
        end -= 1
    body = body[:end]
    return Table(
        sheet=name,
        columns=columns,
        rows=body,
        row_numbers=range(h + 2, h + 2 + len(body)),
        letters=tuple(col_letter(j) for j in range(width)),
        header_row=h + 1,
        file=file,
    )


def read_tables(path: str | Path) -> dict[str, Table]:
    """Every contract sheet of the workbook at ``path``, keyed by its contract name."""
    path = Path(path)
    problem = open_problem(path)
    if problem:
        raise InputError(problem)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types for bad files
        raise InputError(
            f"{path.name}：无法读取工作簿（{type(exc).__name__}），文件可能已损坏，请重新保存后重试"
        ) from None
    tables: dict[str, Table] = {}
    try:
        for name in wb.sheet_names:
            canon = canonical_sheet(name)
            if canon is None or canon in tables:
                continue
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            tables[canon] = _to_table(name, canon, rows, path.name)
    except Exception as exc:
        raise InputError(f"{path.name}：读取工作表时出错（{type(exc).__name__}），文件可能已损坏") from None
    finally:
        wb.close()
    if not tables:
        raise InputError(
            f"{path.name}：没有找到考核工作表（设置、指标、单位、数据……），请使用 perf-excel new 生成的模板"
        )
    return tables


def read_workbook(path: str | Path) -> tuple[Scheme, Dataset, list[Problem]]:
    """Read and check a workbook. Returns ``(scheme, dataset, warnings)``.

    Raises :class:`InputError` with every error of the workbook, each naming the file,
    the sheet, the cell and the value.
    """
    path = Path(path)
    scheme, dataset, problems = build_scheme(read_tables(path), file=path.name)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise InputError(errors)
    return scheme, dataset, problems
