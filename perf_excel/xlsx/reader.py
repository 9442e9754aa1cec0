"""Reading assessment workbooks (.xlsx/.xlsm) into tables, the scheme and the data.

This is the only module that opens workbooks for reading. python-calamine reads the
values (fast); the core checks them. Every problem is reported with the file name.

What the reader forgives, because clerks do it: title rows above the header, a header
over two rows with merged cells (``功效系数标准值`` above ``优秀值 … 较差值``), a 类别
merged over the rows of its units (every sheet but 数据), columns in
any order, extra columns, trailing rows and columns that are formatted but empty,
English sheet and column names (``indicators``, ``code``…). What it refuses, with one
Chinese sentence naming the file and what to do: a file that does not exist, a folder,
an .xls, .csv or other format, a named pipe or a device, a password-protected or corrupt file, an
empty workbook, a workbook without the required sheets, and a sheet whose merged ranges overlap or
number more than :data:`MAX_MERGED_RANGES` (repeated and oversized ranges are harmless: they
are deduplicated and clipped to the sheet's cells).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from python_calamine import CalamineWorkbook

from perf_excel.core.build import build_scheme
from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import InputError, Problem
from perf_excel.core.model import Scheme
from perf_excel.core.numbers import is_blank
from perf_excel.core.tables import SHEETS, Table, canonical_sheet, col_letter
from perf_excel.files.inputs import FileRefused, read_regular
from perf_excel.xlsx import package as ooxml

__all__ = [
    "REQUIRED_SHEETS",
    "SUFFIXES",
    "calamine_call",
    "open_calamine",
    "open_problem",
    "read_package",
    "read_tables",
    "read_workbook",
]

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
#: Sheets without which nothing can be scored.
REQUIRED_SHEETS = ("指标", "单位", "数据")
#: How far down the header of a sheet may sit (title rows above it are allowed).
_HEADER_SEARCH_ROWS = 15
# The UTF-16 name of the stream an encrypted OOXML file keeps inside its OLE container.
_ENCRYPTION_MARK = "EncryptionInfo".encode("utf-16-le")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_package(path: str | Path) -> bytes:
    """The bytes of the workbook at ``path``, read once, after the file and package safety checks.

    The file is opened once and read whole (it is at most :data:`~perf_excel.xlsx.safety.MAX_FILE_BYTES`);
    the checks and python-calamine then see the same bytes, so a file swapped on disk between the
    check and the read changes nothing. Only a regular file is read: a named pipe or a device
    called ``x.xlsx`` would block or never end. Raises :class:`InputError` with one sentence.
    """
    from perf_excel.xlsx.safety import MAX_FILE_BYTES, check_package

    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv") and not path.is_dir():
        raise InputError(
            f"{name}：这是 CSV/文本文件，不是工作簿；请在 Excel 中另存为 .xlsx，或使用 perf-excel new 生成的模板"
        )
    try:
        data = read_regular(path, MAX_FILE_BYTES, name)
    except FileRefused as exc:
        raise InputError(exc.worded(_REFUSED, name=name, limit_mb=MAX_FILE_BYTES >> 20)) from None
    problem = _content_problem(name, suffix, data)
    if problem:
        raise InputError(problem)
    # Hostile packages (zip bombs, DOCTYPE/entities, a cell at XFD1048576, a date cell at -1e20)
    # are refused before python-calamine sees them; see perf_excel/safety.py.
    check_package(data, name)
    return data


_ADVICE = "请给出 .xlsx 或 .xlsm 文件"
#: A workbook file not read, in the words of workbook messages (see :meth:`FileRefused.worded`).
_REFUSED = {
    "folder": f"{{name}}：这是一个文件夹，不是工作簿；{_ADVICE}",
    "special": f"{{name}}：不是普通文件（是管道、设备或套接字），不能作为工作簿读取；{_ADVICE}",
    "too_big": "{name}：文件大小 {size_mb:,.0f} MB 超过上限 {limit_mb:,} MB，不像正常的考核工作簿，已拒绝读取",
    "EACCES": "{name}：没有读取权限，请检查文件权限后重试",
    "EPERM": "{name}：没有读取权限，请检查文件权限后重试",
}


def open_problem(path: Path) -> str | None:
    """Why ``path`` cannot be opened as a workbook, in one Chinese sentence; None if it can."""
    try:
        read_package(path)
    except InputError as exc:
        return exc.message
    return None


def _content_problem(name: str, suffix: str, data: bytes) -> str | None:
    if not data:
        return f"{name}：文件是空的（0 字节），请重新保存或从备份恢复"
    if data.startswith(_OLE_MAGIC):
        # The directory of an encrypted file sits near the start in files written by Excel; 1 MB is ample.
        if _ENCRYPTION_MARK in data[: 1 << 20]:
            return f"{name}：工作簿设有打开密码，无法读取；请在 Excel 中取消密码（文件→信息→保护工作簿）后另存为 .xlsx 再试"
        return f"{name}：这是旧版 .xls 格式，不受支持；请在 Excel 中另存为 .xlsx 后重试"
    if suffix in (".xls", ".et"):
        return f"{name}：不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后重试"
    if not data.startswith(b"PK"):
        return f"{name}：文件已损坏或不是 Excel 工作簿（.xlsx/.xlsm），请重新导出或从备份恢复"
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return f"{name}：文件已损坏（压缩包不完整），请重新保存或从备份恢复"
    if suffix not in SUFFIXES:
        return f"{name}：扩展名 {suffix or '（无）'} 不是 .xlsx 或 .xlsm；请在 Excel 中另存为 .xlsx"
    return None


#: More distinct merged ranges than this in one sheet is not an assessment form: a form merges
#: its header and a category over its units (a few hundred ranges at most). Each range costs
#: work, so a file declaring thousands of them is refused rather than read slowly.
MAX_MERGED_RANGES = 10_000

#: A merged range as 0-based, inclusive (first row, first column, last row, last column).
_Range = tuple[int, int, int, int]


def _range_ref(r0: int, c0: int, r1: int, c1: int) -> str:
    return f"{col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}"


def _used_merges(name: str, rows: list[list[object]], merged: Sequence, file: str) -> list[_Range]:
    """The merged ranges of a sheet that touch its cells: distinct, clipped to the used area.

    The declared area of a range does not matter (``A1:XFD1048576`` costs what the sheet's
    cells cost), nor does a range repeated a thousand times. Raises :class:`InputError`
    naming the sheet for more than :data:`MAX_MERGED_RANGES` distinct ranges and for two
    ranges that overlap: Excel never writes either, and an overlap leaves it ambiguous which
    value a cell shows.
    """
    distinct: dict[_Range, None] = {}
    for (a, b), (c, d) in merged or ():
        distinct[(min(a, c), min(b, d), max(a, c), max(b, d))] = None
    if len(distinct) > MAX_MERGED_RANGES:
        raise InputError(
            [
                Problem(
                    f"合并单元格区域多达 {len(distinct):,} 个（上限 {MAX_MERGED_RANGES:,}），不像正常的考核表，"
                    "已拒绝读取；请取消多余的合并后另存",
                    name,
                    "",
                    file,
                )
            ]
        )
    n_rows = len(rows)
    n_cols = max((len(r) for r in rows), default=0)
    used: list[_Range] = []
    # Which cells a range already covers, one bytearray per row that has a range: each range is
    # checked and marked row by row, so the work is bounded by the used cells, not by the ranges.
    claimed: dict[int, bytearray] = {}
    for r0, c0, r1, c1 in distinct:
        if r0 >= n_rows or c0 >= n_cols:
            continue
        r1, c1 = min(r1, n_rows - 1), min(c1, n_cols - 1)
        for r in range(r0, r1 + 1):
            marks = claimed.setdefault(r, bytearray(n_cols))
            hit = marks.find(1, c0, c1 + 1)
            if hit >= 0:
                other = next(m for m in used if m[0] <= r <= m[2] and m[1] <= hit <= m[3])
                raise InputError(
                    [
                        Problem(
                            f"合并单元格 {_range_ref(r0, c0, r1, c1)} 与 {_range_ref(*other)} 重叠，"
                            "文件可能已损坏；请在 Excel 中取消这两处合并后另存",
                            name,
                            "",
                            file,
                        )
                    ]
                )
            marks[c0 : c1 + 1] = b"\x01" * (c1 - c0 + 1)
        used.append((r0, c0, r1, c1))
    return used


def _fill_merged(rows: list[list[object]], merged: Sequence[_Range], last_row: int) -> None:
    """Copy each merged range's first value into the rest of it (ranges starting after
    ``last_row`` are left alone). ``merged`` comes from :func:`_used_merges`: clipped and
    without overlaps, so every cell is visited at most once."""
    for r0, c0, r1, c1 in merged:
        if r0 > last_row:
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else None
        if is_blank(value):
            continue
        for r in range(r0, r1 + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if is_blank(row[c]):
                    row[c] = value


_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_VALUE = re.compile(rb"<v>([^<]+)</v>")
#: Sheets larger than this (uncompressed XML) are scanned only when they have blank cells.
_SCAN_LIMIT = 4 << 20
UNCALCULATED = "#公式未计算"


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part name, from workbook.xml and its relationships (parsed as XML)."""
    try:
        return ooxml.sheet_targets(zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels"), "xl/workbook.xml")
    except (KeyError, ValueError):
        return {}


def _hidden_cells(data: bytes, wanted: dict[str, list[list[object]]]) -> None:
    """Put back what python-calamine shows as empty: error values (``#DIV/0!``) and formulas
    without a calculated value. A blank there would silently score 0; the core reports them.

    ``data`` is the package already checked and given to python-calamine, not the file again."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = _sheet_parts(zf)
            for name, rows in wanted.items():
                part = parts.get(name)
                if part is None or part not in zf.namelist():
                    continue
                if zf.getinfo(part).file_size > _SCAN_LIMIT and not any("" in r for r in rows):
                    continue
                xml = zf.read(part)
                if b't="e"' not in xml and b"<f" not in xml:
                    continue
                for m in _CELL.finditer(xml):
                    attrs, inner = m.group(3), m.group(4) or b""
                    if b't="e"' in attrs:
                        v = _VALUE.search(inner)
                        text = v.group(1).decode("utf-8", "replace") if v else "#错误"
                    elif b"<f" in inner and not (_VALUE.search(inner) or b"<is>" in inner):
                        text = UNCALCULATED
                    else:
                        continue
                    r, c = int(m.group(2)) - 1, _col_index(m.group(1).decode())
                    if r < len(rows) and c < len(rows[r]) and is_blank(rows[r][c]):
                        rows[r][c] = text
    except (OSError, zipfile.BadZipFile, KeyError, UnicodeDecodeError):
        return


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _header_row(rows: list[list[object]], markers: tuple[str, ...]) -> int:
    """Index of the header row: the first of the top rows naming a marker column,
    else the first non-empty row (title rows above the header are allowed)."""
    wanted = {m.lower() for m in markers}
    first = None
    for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        texts = {str(v).strip().lower() for v in row if not is_blank(v)}
        if texts and first is None:
            first = i
        if texts & wanted:
            return i
    return 0 if first is None else first


def _header_end(h: int, merged: Sequence[_Range]) -> int:
    """Last row of the header starting at row ``h``: a cell merged down over two rows
    (``编码`` over A1:A2) makes a two-row header whose lower row names the columns."""
    end = h
    for r0, _, r1, _ in merged:
        if r0 == h and r1 > end:
            end = r1
    return min(end, h + 2)


def _to_table(name: str, canon: str, rows: list[list[object]], file: str, merged: Sequence = ()) -> Table:
    merged = _used_merges(name, rows, merged, file)
    if merged:
        # Clerks merge a category over the rows of its units; in 数据 a merged value would be
        # ambiguous, so only its header rows are filled there.
        _fill_merged(rows, merged, _HEADER_SEARCH_ROWS + 3 if canon == "数据" else len(rows))
    h = _header_row(rows, _HEADER_MARKERS.get(canon, ()))
    e = _header_end(h, merged) if rows else h
    header = list(rows[h]) if rows else []
    for lower in rows[h + 1 : e + 1]:
        # In a two-row header the lower row names the column where it has text.
        for j, v in enumerate(lower[: len(header)]):
            if not is_blank(v):
                header[j] = v
    # The header decides the width; trailing blank header cells are not columns.
    width = len(header)
    while width and is_blank(header[width - 1]):
        width -= 1
    columns = tuple("" if is_blank(v) else str(v).strip() for v in header[:width])
    body = rows[e + 1 :]
    # Trailing empty rows (formatted but never filled) are not data.
    end = len(body)
    while end and all(is_blank(v) for v in body[end - 1][:width]):
        end -= 1
    body = body[:end]
    return Table(
        sheet=name,
        columns=columns,
        rows=body,
        row_numbers=range(e + 2, e + 2 + len(body)),
        letters=tuple(col_letter(j) for j in range(width)),
        header_row=e + 1,
        file=file,
    )


_T = TypeVar("_T")


def _is_panic(exc: BaseException) -> bool:
    """True for the exception python-calamine raises when its Rust code panics.

    ``pyo3_runtime.PanicException`` derives from BaseException (so that ``except Exception``
    does not swallow it) and cannot be imported; it is recognised by name, never by catching
    every BaseException (Ctrl+C and SystemExit must go through).
    """
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def calamine_call(call: Callable[[], _T], file: str, what: str) -> _T:
    """``call()`` (a python-calamine call), its failures and panics turned into one :class:`InputError`.

    ``what`` says what was being read (“工作簿”, “工作表“数据””) for the message.
    """
    try:
        return call()
    except InputError:
        raise
    except Exception as exc:  # calamine raises several unrelated types for bad files
        raise InputError(
            f"{file}：读取{what}时出错（{type(exc).__name__}），文件可能已损坏，请在 Excel 中重新保存后重试"
        ) from None
    except BaseException as exc:
        if not _is_panic(exc):
            raise
        raise InputError(
            f"{file}：读取{what}时 python-calamine 内部出错（{str(exc)[:120]}），"
            "表中可能有超出范围的值（例如设为日期格式的极大或极小的数）；请检查后在 Excel 中重新保存"
        ) from None


def open_calamine(path: Path, data: bytes | None = None) -> CalamineWorkbook:
    """The workbook at ``path`` opened for reading values, after the file and safety checks.

    ``data``: the package as :func:`read_package` returned it (read here when not given); the
    workbook is opened from these bytes, never from the file again. Raises :class:`InputError`
    with one sentence when it is not a readable workbook; the caller closes the returned workbook.
    """
    path = Path(path)
    if data is None:
        data = read_package(path)
    return calamine_call(lambda: CalamineWorkbook.from_filelike(io.BytesIO(data)), path.name, "工作簿")


def read_tables(path: str | Path, required: Sequence[str] = REQUIRED_SHEETS) -> dict[str, Table]:
    """Every contract sheet of the workbook at ``path``, keyed by its contract name.

    Raises :class:`InputError` with one sentence if the file cannot be read, has no
    data at all, or lacks one of the ``required`` sheets.
    """
    path = Path(path)
    data = read_package(path)
    wb = open_calamine(path, data)
    tables: dict[str, Table] = {}
    try:
        names = calamine_call(lambda: list(wb.sheet_names), path.name, "工作簿")
        raw: dict[str, tuple[str, str, list, object]] = {}
        for name in names:
            canon = canonical_sheet(name)
            if canon is None or canon in {c for c, *_ in raw.values()}:
                continue

            def read(name: str = name) -> tuple[list, object]:
                sheet = wb.get_sheet_by_name(name)
                return sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or ()

            rows, merged = calamine_call(read, path.name, f"工作表“{name}”")
            raw[name] = (canon, name, rows, merged)
        _hidden_cells(data, {name: rows for name, (_, _, rows, _) in raw.items()})
        for canon, name, rows, merged in raw.values():
            tables[canon] = _to_table(name, canon, rows, path.name, merged)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path.name}：读取工作表时出错（{type(exc).__name__}），文件可能已损坏，请重新保存") from None
    finally:
        wb.close()
    if not tables:
        listed = "、".join(names) if names else "无"
        raise InputError(
            f"{path.name}：没有找到考核工作表（设置、指标、单位、数据……；现有工作表：{listed}），"
            "请使用 perf-excel new 生成的模板填写"
        )
    if all(not t.columns for t in tables.values()):
        raise InputError(
            f"{path.name}：工作簿是空的，请先填写指标、单位和数据（可用 perf-excel new --example 查看示例）"
        )
    missing = [s for s in required if s not in tables]
    if missing:
        want = "、".join(f"“{s}”" for s in missing)
        aliases = "；".join(f"{s} 也可命名为 {'/'.join(SHEETS[s][:2])}" for s in missing)
        raise InputError(
            f"{path.name}：缺少 {want} 工作表（现有工作表：{'、'.join(names)}）；"
            f"请按 perf-excel new 生成的模板添加（{aliases}）"
        )
    if tables and all(len(t) == 0 for name, t in tables.items() if name != "设置"):
        raise InputError(
            f"{path.name}：工作簿还没有填写（指标、单位、数据均为空）；请先填写，"
            "填法见“说明”表（可用 perf-excel new 示例.xlsx --example 生成示例）"
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
