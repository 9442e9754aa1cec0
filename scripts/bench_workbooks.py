"""The large benchmark case, written twice: as a perf-excel workbook and as a clerk's formula workbook.

    python scripts/bench_workbooks.py [--units 10000] [--indicators 200] [--dir out/bench]

The case: N units in 5 categories, M indicators of 100/M points each in 5 dimensions (contiguous
blocks), the methods cycling 完成比例 / 功效系数 / 区间, grades 优秀:90; 良好:80; 合格:60; 不合格:0 with
an 优秀 quota of 20% per category (rounded down). No blanks, no 不适用, no bonus, no veto: the rules
a spreadsheet of formulas can state exactly, so the two can be compared number by number.

* :func:`write_input_workbook` — 设置, 指标, 单位, 数据: what ``perf-excel score`` reads.
* :func:`write_formula_workbook` — 得分 (first sheet: one formula per unit and indicator, SUM per
  dimension, ROUND(SUM) total, COUNTIFS rank within category, the grade rule with the quota looked
  up per category), 数据 (the same values), 类别 (COUNTIF and ROUNDDOWN quota). The formulas have
  no cached values, so LibreOffice must compute every one of them on load.

Both files are written with a small streaming SpreadsheetML writer (shared strings, like Excel),
because openpyxl needs about a minute for 4 million cells and the benchmark should not wait on it.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from perf_excel.core.tables import col_letter

CATEGORIES = ("县市区", "市直部门", "国有企业", "事业单位", "开发区")
DIMENSIONS = ("经济发展", "公共服务", "风险防控", "可持续性", "共性目标")
METHODS = ("完成比例", "功效系数", "区间")
STANDARDS = (120.0, 105.0, 95.0, 80.0, 60.0)
COEFFICIENTS = (1.0, 0.8, 0.6, 0.4, 0.2)
BANDS = ((95.0, 1.0), (90.0, 0.8), (80.0, 0.6))
BAND_ELSE = 0.2
BAND_TEXT = ">=95:1; >=90:0.8; >=80:0.6; else:0.2"
GRADES = (("优秀", 90.0), ("良好", 80.0), ("合格", 60.0), ("不合格", 0.0))
EXCELLENT_RATIO = 0.2


@dataclass(frozen=True)
class Case:
    """The generated case: indicator definitions and the data, in memory."""

    codes: list[str]
    categories: list[str]
    indicator_codes: list[str]
    dimensions: list[str]
    methods: list[str]
    targets: list[float]
    points: float
    values: np.ndarray  # units × indicators, 2 decimals


def make_bench_case(n_units: int, n_indicators: int, seed: int = 11) -> Case:
    """Values around 95 with a per-unit level, so totals spread over every grade."""
    if n_indicators < len(DIMENSIONS):
        raise ValueError("at least 5 indicators (one per dimension)")
    rng = np.random.default_rng(seed)
    level = rng.normal(95, 6, size=(n_units, 1))
    values = np.round(np.clip(level + rng.normal(0, 10, size=(n_units, n_indicators)), 1.0, None), 2)
    return Case(
        codes=[f"U{i:05d}" for i in range(n_units)],
        categories=[CATEGORIES[i % len(CATEGORIES)] for i in range(n_units)],
        indicator_codes=[f"I{j:03d}" for j in range(n_indicators)],
        dimensions=[DIMENSIONS[j * len(DIMENSIONS) // n_indicators] for j in range(n_indicators)],
        methods=[METHODS[j % len(METHODS)] for j in range(n_indicators)],
        targets=[80.0 + 5.0 * (j % 7) for j in range(n_indicators)],
        points=100.0 / n_indicators,
        values=values,
    )


# -- a streaming SpreadsheetML writer -------------------------------------------------------------


class Formula(str):
    """A cell formula (without the leading ``=``)."""


def _num(v: float) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Iterable[Sequence[object]]]]) -> Path:
    """Write ``sheets`` (name, rows) as an .xlsx: str → shared string, Formula → formula, number → number."""
    strings: dict[str, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for k, (_, rows) in enumerate(sheets, start=1):
            with zf.open(f"xl/worksheets/sheet{k}.xml", "w") as fh:
                fh.write(
                    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                )
                letters: list[str] = []
                for r, row in enumerate(rows, start=1):
                    while len(letters) < len(row):
                        letters.append(col_letter(len(letters)))
                    parts = [f'<row r="{r}">']
                    for c, v in enumerate(row):
                        if v is None:
                            continue
                        ref = f"{letters[c]}{r}"
                        if isinstance(v, Formula):
                            parts.append(f'<c r="{ref}"><f>{escape(v)}</f></c>')
                        elif isinstance(v, str):
                            idx = strings.setdefault(v, len(strings))
                            parts.append(f'<c r="{ref}" t="s"><v>{idx}</v></c>')
                        else:
                            parts.append(f'<c r="{ref}"><v>{_num(v)}</v></c>')
                    parts.append("</row>")
                    fh.write("".join(parts).encode())
                fh.write(b"</sheetData></worksheet>")
        sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        zf.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>',
        )
        n = len(sheets)
        main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        ws_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{ws_type}"/>' for k in range(1, n + 1)
            )
            + "</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            + "".join(
                f'<sheet name="{escape(name)}" sheetId="{k}" r:id="rId{k}"/>'
                for k, (name, _) in enumerate(sheets, start=1)
            )
            + "</sheets></workbook>",
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{k}" Type="{rel}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                for k in range(1, n + 1)
            )
            + f'<Relationship Id="rId{n + 1}" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            + "</Relationships>",
        )
    tmp.replace(path)
    return path


# -- the two workbooks ----------------------------------------------------------------------------


def _data_rows(case: Case) -> Iterable[list[object]]:
    yield ["单位编码", *case.indicator_codes]
    for code, row in zip(case.codes, case.values.tolist()):
        yield [code, *row]


def write_input_workbook(case: Case, path: Path) -> Path:
    """The perf-excel workbook of the case (设置, 指标, 单位, 数据)."""
    settings = [
        ["项目", "值"],
        ["考核名称", "基准测试考核"],
        ["考核年度", 2025],
        ["等次标准", "; ".join(f"{g}:{t:g}" for g, t in GRADES)],
        ["优秀比例", f"{EXCELLENT_RATIO:.0%}"],
        ["比例取整", "向下"],
    ]
    header = ["编码", "维度", "指标名称", "分值", "计分方法", "方向", "目标值", "优秀值", "良好值", "平均值"]
    header += ["较低值", "较差值", "区间"]
    indicators: list[list[object]] = [header]
    for j, code in enumerate(case.indicator_codes):
        method = case.methods[j]
        row: list[object] = [code, case.dimensions[j], f"指标{j}", case.points, method, "正向"]
        row.append(case.targets[j] if method == "完成比例" else None)
        row += list(STANDARDS) if method == "功效系数" else [None] * 5
        row.append(BAND_TEXT if method == "区间" else None)
        indicators.append(row)
    units = [["编码", "名称", "类别"], *([c, f"单位{c[1:]}", k] for c, k in zip(case.codes, case.categories))]
    return write_xlsx(path, [("设置", settings), ("指标", indicators), ("单位", units), ("数据", _data_rows(case))])


def indicator_formula(case: Case, j: int, row: int) -> Formula:
    """The formula a clerk writes for indicator ``j`` of the unit on ``row`` (reading '数据')."""
    x = f"'数据'!{col_letter(j + 1)}{row}"
    p = _num(case.points)
    method = case.methods[j]
    if method == "完成比例":
        return Formula(f"MAX(0,MIN({x}/{_num(case.targets[j])}*{p},{p}))")
    if method == "功效系数":
        s, c = STANDARDS, COEFFICIENTS
        expr = "0"
        for k in range(len(s) - 1, 0, -1):
            # between 本档 s[k] and 上档 s[k-1]: 分值×c[k] + (x−s[k])/(s[k−1]−s[k]) × 分值×(c[k−1]−c[k])
            part = f"{p}*{_num(c[k])}+({x}-{_num(s[k])})/{_num(s[k - 1] - s[k])}*{p}*{_num(round(c[k - 1] - c[k], 10))}"
            expr = f"IF({x}>={_num(s[k])},{part},{expr})"
        return Formula(f"IF({x}>={_num(s[0])},{p},{expr})")
    expr = _num(BAND_ELSE * case.points)
    for threshold, fraction in reversed(BANDS):
        expr = f"IF({x}>={_num(threshold)},{_num(fraction * case.points)},{expr})"
    return Formula(expr)


def formula_layout(case: Case) -> dict[str, int]:
    """0-based columns of the 得分 sheet: total, rank, grade."""
    m = len(case.indicator_codes)
    first_dim = 2 + m
    total = first_dim + len(DIMENSIONS)
    return {"first_dim": first_dim, "total": total, "rank": total + 1, "grade": total + 2}


def write_formula_workbook(case: Case, path: Path) -> Path:
    """The clerk's workbook: the same rules as formulas, first sheet 得分."""
    m = len(case.indicator_codes)
    n = len(case.codes)
    layout = formula_layout(case)
    last = n + 1
    dim_cols = []
    for d in DIMENSIONS:
        js = [j for j in range(m) if case.dimensions[j] == d]
        dim_cols.append((col_letter(2 + js[0]), col_letter(2 + js[-1])))
    tot = col_letter(layout["total"])
    rnk = col_letter(layout["rank"])
    first_dim, last_dim = col_letter(layout["first_dim"]), col_letter(layout["total"] - 1)
    (ex, ex_t), *lower = GRADES

    def score_rows() -> Iterable[list[object]]:
        yield ["单位编码", "类别", *case.indicator_codes, *DIMENSIONS, "总分", "类别排名", "等次"]
        for i, (code, cat) in enumerate(zip(case.codes, case.categories)):
            r = i + 2
            grade = f'"{lower[-1][0]}"'
            for g, t in reversed(lower[:-1]):
                grade = f'IF({tot}{r}>={_num(t)},"{g}",{grade})'
            quota = f"VLOOKUP(B{r},'类别'!$A$2:$C${len(CATEGORIES) + 1},3,0)"
            grade = f'IF(AND({tot}{r}>={_num(ex_t)},{rnk}{r}<={quota}),"{ex}",{grade})'
            yield [
                code,
                cat,
                *(indicator_formula(case, j, r) for j in range(m)),
                *(Formula(f"SUM({a}{r}:{b}{r})") for a, b in dim_cols),
                Formula(f"ROUND(SUM({first_dim}{r}:{last_dim}{r}),2)"),
                Formula(f'COUNTIFS($B$2:$B${last},B{r},${tot}$2:${tot}${last},">"&{tot}{r})+1'),
                Formula(grade),
            ]

    categories = [["类别", "单位数", "优秀名额"]]
    for k, cat in enumerate(CATEGORIES, start=2):
        categories.append(
            [cat, Formula(f"COUNTIF('得分'!$B$2:$B${last},A{k})"), Formula(f"ROUNDDOWN(B{k}*{EXCELLENT_RATIO},0)")]
        )
    # 数据 is laid out as in the perf-excel workbook: unit code in A, indicators from B.
    return write_xlsx(path, [("得分", score_rows()), ("数据", _data_rows(case)), ("类别", categories)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--indicators", type=int, default=200)
    ap.add_argument("--dir", default="out/bench")
    args = ap.parse_args(argv)
    case = make_bench_case(args.units, args.indicators)
    out = Path(args.dir)
    print(write_input_workbook(case, out / f"case_{args.units}x{args.indicators}.xlsx"))
    print(write_formula_workbook(case, out / f"formulas_{args.units}x{args.indicators}.xlsx"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
