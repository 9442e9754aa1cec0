"""``perf-excel weights ahp|entropy|critic FILE``: derive weights, optionally write them as 分值.

Reads a pairwise matrix or a data table from a workbook sheet (or a CSV file), runs the
pure functions of :mod:`perf_excel.core.weights`, prints the weights (or JSON), and with
``--apply WORKBOOK`` writes them as 分值 into its 指标 sheet: only those cells change,
every other part of the file is copied byte for byte, the old file is kept as ``.bak``
and the new one replaces it atomically.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import unicodedata
import zipfile
from pathlib import Path

from perf_excel.core.errors import InputError, OutputError, Problem, quote
from perf_excel.core.numbers import fmt_num, is_blank
from perf_excel.core.tables import Table, canonical_sheet, col_letter
from perf_excel.core.weights import (
    AHP_METHODS,
    RI_SOURCES,
    RI_TABLES,
    AhpResult,
    DataWeights,
    ahp,
    apportion,
    critic_weights,
    data_from_table,
    entropy_weights,
    pairwise_from_table,
    parse_directions,
)
from perf_excel.files.inputs import MAX_CSV_BYTES, file_problem, read_regular
from perf_excel.xlsx import package as ooxml

__all__ = ["apply_points", "read_sheet", "register", "run_weights"]

_AHP_SHEETS = ("判断矩阵", "ahp", "层次分析")
_METHOD_NAMES = {"ahp": "层次分析法", "entropy": "熵权法", "critic": "CRITIC 法"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weights", help="由判断矩阵或数据计算权重（层次分析法、熵权法、CRITIC）")
    p.add_argument("method", choices=("ahp", "entropy", "critic"), help="ahp、entropy 或 critic")
    p.add_argument("file", help="含判断矩阵或数据的工作簿（.xlsx/.xlsm）或 CSV 文件")
    p.add_argument("--sheet", help="工作表名称（默认：判断矩阵/数据 表，否则第一张表）")
    p.add_argument("--ri", choices=tuple(RI_TABLES), default="saaty", help="AHP 的 RI 表（默认 saaty）")
    p.add_argument("--method", dest="ahp_method", choices=tuple(AHP_METHODS), default="eigen", help="AHP 求权方法")
    p.add_argument("--directions", help="各指标方向，如 +,-,+ 或 正向,逆向,正向（默认取 指标 表的方向）")
    p.add_argument("--columns", help="熵权法/CRITIC 只用这些列，如 F01,Z01,S02（默认：除单位名称等以外的全部列）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--apply", metavar="WORKBOOK", help="把权重按 --total 折算为分值，写入该工作簿的“指标”表")
    p.add_argument("--total", type=float, default=100.0, help="--apply 时的总分值（默认 100）")
    p.add_argument("--decimals", type=int, default=1, help="--apply 时分值保留的小数位数（默认 1）")
    p.add_argument("--force", action="store_true", help="判断矩阵未通过一致性检验时仍写入分值")
    p.set_defaults(func=run_weights)


# --- reading -------------------------------------------------------------------
def _table_from_rows(sheet: str, rows: list[list[object]], file: str, markers: tuple[str, ...] = ()) -> Table:
    """A table whose header is the first row naming a marker column (else the first non-empty
    row) among the top rows; positions as in the sheet."""
    filled = [i for i, r in enumerate(rows) if any(not is_blank(v) for v in r)]
    if not filled:
        raise InputError([Problem("工作表为空", sheet, "", file)])
    wanted = {m.lower() for m in markers}
    h = next(
        (i for i in filled[:15] if wanted & {str(v).strip().lower() for v in rows[i] if not is_blank(v)}),
        filled[0],
    )
    header = list(rows[h])
    while header and is_blank(header[-1]):
        header.pop()
    body = [list(r) for r in rows[h + 1 :]]
    while body and all(is_blank(v) for v in body[-1]):
        body.pop()
    columns = tuple("" if is_blank(v) else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
                    for v in header)  # fmt: skip
    return Table(
        sheet,
        columns,
        body,
        row_numbers=range(h + 2, h + 2 + len(body)),
        letters=tuple(col_letter(j) for j in range(len(columns))),
        header_row=h + 1,
        file=file,
    )


def _read_csv(path: Path) -> list[list[object]]:
    """The rows of a CSV file (UTF-8 or GBK): a regular file of at most :data:`MAX_CSV_BYTES`.

    A FIFO or a device named ``x.csv`` is refused without being opened for long, and a
    field longer than the csv module's limit (128 KB) is a message naming the line.
    """
    data = read_regular(path, MAX_CSV_BYTES)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            return [list(r) for r in reader]
        except csv.Error as exc:
            line = reader.line_num
            if "field larger than field limit" in str(exc):
                limit = csv.field_size_limit() // 1024
                raise InputError(
                    f"{path.name} 第 {line} 行：有一个字段超过 {limit} KB，不像判断矩阵或数据表；请检查文件内容"
                ) from None
            raise InputError(f"{path.name} 第 {line} 行：无法按 CSV 格式读取（{exc}）") from None
    raise InputError(f"{path.name}：无法识别 CSV 文件的编码（应为 UTF-8 或 GBK）")


def read_sheet(path: str | Path, sheet: str | None, kind: str) -> tuple[Table, dict[str, Table]]:
    """The sheet to compute from, and the workbook's contract sheets (for 指标 directions)."""
    path = Path(path)
    # Only regular files, whatever the suffix: opening a FIFO named x.xlsx would wait for ever.
    problem = file_problem(path)
    if problem:
        raise InputError(problem.removesuffix(""))
    if path.suffix.lower() in (".csv", ".txt"):
        return _table_from_rows(path.stem, _read_csv(path), path.name), {}
    from perf_excel.xlsx.reader import open_calamine

    wb = open_calamine(path)
    try:
        names = list(wb.sheet_names)
        if sheet is not None:
            if sheet not in names:
                raise InputError(f"{path.name}：没有名为 {quote(sheet)} 的工作表（现有：{'、'.join(names)}）")
            chosen = sheet
        else:
            wanted = _AHP_SHEETS if kind == "ahp" else ("数据",)
            chosen = next(
                (n for n in names if n.strip().lower() in wanted or (kind != "ahp" and canonical_sheet(n) == "数据")),
                names[0] if len(names) == 1 else None,
            )
            if chosen is None:
                raise InputError(
                    f"{path.name}：没有名为“{wanted[0]}”的工作表，请用 --sheet 指定（现有：{'、'.join(names)}）"
                )
        rows = wb.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
        table = _table_from_rows(chosen, rows, path.name)
        contract: dict[str, Table] = {}
        indicators = next((n for n in names if canonical_sheet(n) == "指标"), None)
        if indicators is not None:
            rows = wb.get_sheet_by_name(indicators).to_python(skip_empty_area=False)
            contract["指标"] = _table_from_rows(indicators, rows, path.name, ("编码", "code", "指标编码"))
    finally:
        wb.close()
    return table, contract


def _read_indicators(path: Path) -> Table | None:
    """The 指标 sheet of a workbook (header found by its 编码 column), or None."""
    from perf_excel.xlsx.reader import open_calamine

    wb = open_calamine(path)
    try:
        name = next((n for n in wb.sheet_names if canonical_sheet(n) == "指标"), None)
        if name is None:
            return None
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        return _table_from_rows(name, rows, path.name, ("编码", "code", "指标编码"))
    finally:
        wb.close()


def _directions_from_indicators(names: tuple[str, ...], contract: dict[str, Table]) -> tuple[bool, ...] | None:
    t = contract.get("指标")
    if t is None:
        return None
    code, direction = t.column_index("编码", "code", "指标编码"), t.column_index("方向", "direction")
    name_col = t.column_index("指标名称", "name", "指标")
    if code is None or direction is None:
        return None
    found: dict[str, bool] = {}
    for i in t:
        text = str(t.value(i, direction) or "").strip()
        positive = not text or not re.match(r"^(逆|反|负|-|negative|reverse)", text.lower())
        for j in (code, name_col):
            if j is not None and not is_blank(t.value(i, j)):
                found.setdefault(str(t.value(i, j)).strip(), positive)
    if not all(n in found for n in names):
        return None
    return tuple(found[n] for n in names)


# --- output ------------------------------------------------------------------
def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    return text + " " * max(width - _width(text), 0)


def _print_ahp(r: AhpResult, file: str) -> None:
    print(f"{file}：层次分析法（{AHP_METHODS[r.method]}），RI 表 {r.ri_table}：{RI_SOURCES[r.ri_table]}")
    width = max(_width(n) for n in r.names) + 2
    for n, w in zip(r.names, r.weights):
        print(f"  {_pad(n, width)}{w:.4f}")
    print(f"λmax = {r.lambda_max:.4f}  CI = {r.ci:.4f}  RI = {r.ri:.2f}  CR = {r.cr:.4f}")
    print(r.verdict)


def _print_data(r: DataWeights, file: str) -> None:
    print(f"{file}：{_METHOD_NAMES[r.method]}，{r.n_units} 个单位，{len(r.names)} 项指标")
    width = max(_width(n) for n in r.names + ("指标",)) + 2
    first = "entropy" if r.method == "entropy" else "information"
    label = "信息熵 e" if r.method == "entropy" else "信息量 C"
    print(f"  {_pad('指标', width)}方向  {_pad(label, 9)}权重")
    for k, n in enumerate(r.names):
        direction = "正向" if r.positive[k] else "逆向"
        print(f"  {_pad(n, width)}{direction}  {r.details[first][k]:<9.4f}{r.weights[k]:.4f}")
    for note in r.notes:
        print(f"注：{note}")


def run_weights(args: argparse.Namespace) -> int:
    path = Path(args.file)
    table, contract = read_sheet(path, args.sheet, args.method)
    if args.method == "ahp":
        names, matrix = pairwise_from_table(table)
        result: AhpResult | DataWeights = ahp(matrix, names, args.ahp_method, args.ri)
    else:
        columns = [c for c in re.split(r"[,，、;；\s]+", args.columns or "") if c]
        names, _, values = data_from_table(table, columns or None)
        if args.directions:
            directions = parse_directions(args.directions, len(names))
        else:
            directions = _directions_from_indicators(names, contract)
            if directions is None:
                directions = (True,) * len(names)
                print("未给出 --directions，全部指标按正向处理。", file=sys.stderr)
        fn = entropy_weights if args.method == "entropy" else critic_weights
        try:
            result = fn(values, directions, names)
        except InputError as exc:
            raise InputError(Problem(p.message, table.sheet, "", path.name) for p in exc.problems) from None
    out = result.to_dict()
    if args.apply:
        if isinstance(result, AhpResult) and not result.consistent and not args.force:
            raise InputError(f"{path.name}：{result.verdict}；未写入分值（确需写入请加 --force）")
        points = apportion(result.weights, args.total, args.decimals)
        backup = apply_points(args.apply, dict(zip(result.names, points)))
        out["points"] = dict(zip(result.names, points))
        out["applied_to"] = str(args.apply)
        out["backup"] = str(backup)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        if isinstance(result, AhpResult):
            _print_ahp(result, path.name)
        else:
            _print_data(result, path.name)
        if args.apply:
            shown = "，".join(f"{n} {fmt_num(p)}" for n, p in out["points"].items())
            print(f"已把分值写入 {Path(args.apply).name} 的指标表（合计 {fmt_num(args.total)}）：{shown}")
            print(f"原文件备份为 {Path(backup).name}")
    return 0


# --- --apply: write 分值 cells in place ------------------------------------------
def _sheet_part(parts: dict[str, bytes], wanted: str) -> str:
    """The zip member of the worksheet called ``wanted``."""
    return ooxml.sheet_parts(parts)[wanted]


def _col_index(ref: str) -> int:
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n


def patch_cells(xml: str, values: dict[str, float]) -> tuple[str, bool]:
    """Set numeric values of cells (``{"E3": 26.3}``) in a worksheet's XML, keeping styles.

    Returns the new XML and whether a formula was overwritten. Cells that do not exist
    are inserted in column order into their row.
    """
    had_formula = False
    prefix_m = re.search(r"<(\w+:)?worksheet\b", xml)
    p = prefix_m.group(1) or "" if prefix_m else ""
    for ref, value in values.items():
        text = repr(float(value)) if not float(value).is_integer() else str(int(value))
        cell_re = re.compile(rf'<{p}c\b(?=[^>]*\sr="{ref}")([^>]*?)(/>|>(.*?)</{p}c>)', re.S)
        m = cell_re.search(xml)
        if m:
            attrs = re.sub(r'\st="[^"]*"', "", m.group(1))
            had_formula |= f"<{p}f" in (m.group(3) or "")
            xml = xml[: m.start()] + f"<{p}c{attrs}><{p}v>{text}</{p}v></{p}c>" + xml[m.end() :]
            continue
        row = re.match(r"[A-Z]+(\d+)", ref).group(1)
        row_re = re.compile(rf'<{p}row\b(?=[^>]*\sr="{row}")[^>]*?(/>|>(.*?)</{p}row>)', re.S)
        rm = row_re.search(xml)
        new_cell = f'<{p}c r="{ref}"><{p}v>{text}</{p}v></{p}c>'
        if rm is None:
            raise ValueError(f"row {row} not found")
        if rm.group(1) == "/>":
            head = rm.group(0)[:-2]
            xml = xml[: rm.start()] + f"{head}>{new_cell}</{p}row>" + xml[rm.end() :]
            continue
        body = rm.group(2)
        insert_at = len(body)
        for cm in re.finditer(rf'<{p}c\b[^>]*\sr="([A-Z]+)\d+"', body):
            if _col_index(cm.group(1)) > _col_index(ref):
                insert_at = cm.start()
                break
        body = body[:insert_at] + new_cell + body[insert_at:]
        start = rm.start(2)
        xml = xml[:start] + body + xml[rm.end(2) :]
    return xml, had_formula


def apply_points(workbook: str | Path, points: dict[str, float]) -> Path:
    """Write ``points`` (indicator 编码 or 指标名称 -> 分值) into the 指标 sheet of ``workbook``.

    Only the 分值 cells change; the previous file is kept as ``<name>.bak``. Raises
    :class:`InputError` when a name matches no indicator, :class:`OutputError` when the
    file cannot be written (nothing is changed then).
    """
    from perf_excel.files.outputs import replace_with_backup
    from perf_excel.xlsx.writeback import lock_file

    target = Path(workbook)
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError(f"{target.name}：--apply 只能写入 .xlsx 或 .xlsm 工作簿")
    problem = file_problem(target)
    if problem:
        raise InputError(problem)
    ind = _read_indicators(target)
    if ind is None:
        raise InputError(f"{target.name}：没有“指标”工作表，无法写入分值")
    code_col = ind.column_index("编码", "code", "指标编码")
    name_col = ind.column_index("指标名称", "name", "指标")
    points_col = ind.column_index("分值", "points", "weight", "权重")
    if code_col is None or points_col is None:
        raise InputError([Problem("指标表缺少 “编码” 或 “分值” 列", ind.sheet, "", target.name)])
    rows: dict[str, int] = {}
    for col in (code_col, name_col):
        if col is None:
            continue
        for i in ind:
            key = "" if is_blank(ind.value(i, col)) else str(ind.value(i, col)).strip()
            if key:
                rows.setdefault(key, i)
    missing = [n for n in points if n not in rows]
    if missing:
        known = "、".join(str(ind.value(i, code_col)) for i in ind if not is_blank(ind.value(i, code_col)))
        raise InputError(
            [
                Problem(
                    f"{quote(n)} 既不是指标编码也不是指标名称，无法写入分值（现有编码：{known}）",
                    ind.sheet,
                    "",
                    target.name,
                )
                for n in missing
            ]
        )
    cells = {ind.cell(rows[n], points_col): p for n, p in points.items()}
    lock = lock_file(target)
    if lock is not None:
        raise OutputError(
            f"{target.name}：工作簿正在 Excel 中打开（发现锁定文件 {lock.name}），请关闭后重试；文件未做任何改动"
        )
    with zipfile.ZipFile(target) as zin:
        infos = zin.infolist()
        parts = {i.filename: zin.read(i) for i in infos}
    try:
        member = _sheet_part(parts, ind.sheet)
        xml, had_formula = patch_cells(parts[member].decode("utf-8"), cells)
    except (StopIteration, KeyError, ValueError, AttributeError):
        raise OutputError(f"{target.name}：工作簿结构不常见，无法安全写入分值；文件未做任何改动") from None
    new = {member: xml.encode("utf-8")}
    drop = set()
    if had_formula:
        # A formula cell became a value: Excel's calculation chain must be rebuilt.
        drop = {n for n in parts if n.endswith("calcChain.xml")}

    out: dict[str, bytes] = {}
    for info in infos:
        name = info.filename
        if name in drop:
            continue
        data = new.get(name, parts[name])
        if drop and name == "[Content_Types].xml":
            data = re.sub(rb"<Override[^>]*calcChain[^>]*/>", b"", data)
        elif drop and name.endswith(".rels"):
            data = re.sub(rb"<Relationship[^>]*calcChain[^>]*/>", b"", data)
        out[name] = data

    def write(tmp: Path) -> None:
        ooxml.write_package(tmp, out, infos, parts)

    return replace_with_backup(target, write)
