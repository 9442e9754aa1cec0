"""Random workbooks for fuzzing check, score and report (hypothesis strategies and the oracle).

A workbook starts as a valid assessment (random indicators of every scoring method, units
in one to three categories, data, bonuses, vetoes, corrections) and is then damaged at
random: hostile values in any cell (NaN, ±inf, huge and tiny numbers stored or typed as
text, booleans, dates, formulas with and without a cached value, error values, Chinese and
control characters, text that looks like a formula), merged cells (also thousands of the same
range, overlapping and sheet-sized ones), renamed or dropped sheets and headers, duplicated
sheets, empty and large sheets, far-away cells, look-alike codes (full-width, zero-width and
bidi characters), long unknown codes by the hundred, unit names of 300 characters, of 100
Chinese characters and ``#N/A``, and the shapes of the package scan and the documents
listed in :data:`CROSS_AREA_SHAPES`. The oracle
(:func:`run_commands`) pushes the file through ``check``, ``score`` and ``report`` as the
command line does and returns what went wrong: any exception other than the project's
own errors, an exit code other than 0/1, an error message that does not name the file,
or an output that is missing or does not open.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import string
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from hostile_xlsx import Dated, Error, Formula, Sheet, write_xlsx
from hypothesis import strategies as st

__all__ = ["CROSS_AREA_SHAPES", "hostile_values", "run_commands", "workbooks"]

METHODS = ("完成比例", "功效系数", "区间", "线性", "排名", "扣分", "定性", "达标", "阶梯", "直接")
IND_HEADER = [
    "编码", "维度", "指标名称", "适用类别", "分值", "计分方法", "方向", "目标值", "下限", "封顶",
    "优秀值", "良好值", "平均值", "较低值", "较差值", "区间", "每项扣分", "步长", "公式",
]  # fmt: skip
ERROR_CODES = ("#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!")
_CHINESE = "考核单位指标数据分值优秀良好合格不适用县市区部门企业总分"
_CONTROL = "".join(chr(c) for c in range(1, 32) if c not in (9, 10, 13))
TEXT = st.text(alphabet=string.ascii_letters + string.digits + _CHINESE + " .,%-+=@\t\r\n" + _CONTROL, max_size=12)

hostile_values = st.one_of(
    st.none(),
    TEXT,
    st.sampled_from(["", " ", "不适用", "N/A", "—", "12,5", "１２", "50%", "优", "差", "是", "否", "加分", "扣分"]),
    st.sampled_from(["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=x", "\r=y", '=HYPERLINK("http://x")']),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1e-300, 1e15, 2**53 + 1.0, 10**20, -1e20]),
    st.sampled_from(["1e308", "-1e308", "1e400", "-1e20", "1e15", "NaN", "inf"]),  # the same, typed as text
    st.sampled_from(["Ｕ001", "U\u200b001", "\ufeffU001", "U\u202e001", "Ｚ01", "Z\u206001"]),  # look-alike codes
    st.integers(min_value=-(10**6), max_value=10**6),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(ERROR_CODES).map(Error),
    st.builds(
        Formula,
        st.sampled_from(["1/0", "A1", "SUM(A1:A3)", "PERF_RATIO(1,2,3)", "NOW()"]),
        st.one_of(st.none(), st.floats(-1e6, 1e6), st.sampled_from(ERROR_CODES).map(Error), TEXT),
    ),
)


@st.composite
def _indicator(draw, code: str, categories: list[str], points: float) -> list[object]:
    method = draw(st.sampled_from(METHODS))
    row: dict[str, object] = {
        "编码": code,
        "维度": draw(st.sampled_from(["经济发展", "公共服务", "共性目标"])),
        "指标名称": f"指标{code}",
        "适用类别": draw(st.sampled_from(["", *categories])) if len(categories) > 1 else "",
        "分值": points,
        "计分方法": method,
        "方向": draw(st.sampled_from(["", "正向", "逆向"])) if method in ("完成比例", "功效系数", "线性") else "",
    }
    if method in ("完成比例", "达标", "线性", "阶梯"):
        row["目标值"] = draw(st.sampled_from([100, 95, 8.5, 1000]))
    if method == "线性":
        row["下限"] = draw(st.sampled_from([0, 50, 60]))
    if method == "功效系数":
        std = sorted(draw(st.lists(st.floats(-50, 150), min_size=5, max_size=5, unique=True)), reverse=True)
        if row["方向"] == "逆向":
            std = std[::-1]
        row.update(zip(("优秀值", "良好值", "平均值", "较低值", "较差值"), std))
    if method == "区间":
        row["区间"] = draw(st.sampled_from([">=95:1; >=90:0.8; >=80:0.6; else:0", ">=60:1;else:0", "<10:1; else:0.5"]))
    if method == "扣分":
        row["每项扣分"] = draw(st.sampled_from([0.5, 1, 2]))
    if method in ("阶梯", "排名"):
        row["步长"] = draw(st.sampled_from([1, 2, 5]))
    return [row.get(h, "") for h in IND_HEADER]


def _value_for(method: str, points: float, draw) -> object:
    if method == "定性":
        return draw(st.sampled_from(["优", "良", "中", "差", "A", "B"]))
    if method == "扣分":
        return draw(st.integers(0, 6))
    if method == "直接":
        return draw(st.floats(0, points))
    return draw(st.one_of(st.floats(-20, 200, allow_nan=False), st.integers(0, 120)))


@st.composite
def valid_sheets(draw) -> list[Sheet]:
    """A workbook that scores: settings, indicators, units, data and some adjustments."""
    categories = draw(
        st.lists(st.sampled_from(["县市区", "市直部门", "国有企业"]), min_size=1, max_size=3, unique=True)
    )
    n_ind = draw(st.integers(1, 8))
    points = round(100 / n_ind, 4)
    indicators = [draw(_indicator(f"Z{k:02d}", categories, points)) for k in range(1, n_ind + 1)]
    n_units = draw(st.integers(1, 25))
    units = [[f"U{k:03d}", f"单位{k}", draw(st.sampled_from(categories))] for k in range(1, n_units + 1)]
    data = [["单位编码", "单位名称", *(r[0] for r in indicators)]]
    for u in units:
        values = []
        for ind in indicators:
            applies = not ind[3] or ind[3] == u[2]
            values.append(_value_for(str(ind[5]), points, draw) if applies else "")
        data.append([u[0], u[1], *values])
    settings = [
        ["项目", "值"],
        ["考核名称", draw(st.sampled_from(["2025年度综合绩效考核", "考核<R&D>“试点”"]))],
        ["考核年度", 2025],
        ["等次标准", draw(st.sampled_from(["优秀:90; 良好:80; 合格:60; 不合格:0", "优:90;良:80;中:60;差:0"]))],
    ]
    if draw(st.booleans()):
        settings.append(["优秀比例", draw(st.sampled_from(["20%", "0.3", "100%", "0%"]))])
    if draw(st.booleans()):
        settings.append(["否决效果", draw(st.sampled_from(["不得评优", "不合格"]))])
    sheets = [
        Sheet("设置", settings),
        Sheet("指标", [IND_HEADER, *indicators]),
        Sheet("单位", [["编码", "名称", "类别"], *units]),
        Sheet("数据", data),
    ]
    codes = [u[0] for u in units]
    if draw(st.booleans()):
        rows = [["单位编码", "类型", "分值", "事由"]]
        for _ in range(draw(st.integers(1, 4))):
            rows.append([draw(st.sampled_from(codes)), draw(st.sampled_from(["加分", "扣分"])), 1.5, "事由"])
        sheets.append(Sheet("加减分", rows))
    if draw(st.booleans()):
        sheets.append(Sheet("否决", [["单位编码", "事项", "事由"], [draw(st.sampled_from(codes)), "安全生产", "事故"]]))
    if draw(st.booleans()):
        ind = draw(st.sampled_from([r[0] for r in indicators] + [""]))
        sheets.append(
            Sheet("修正", [["单位编码", "指标编码", "系数", "事由"], [draw(st.sampled_from(codes)), ind, 1.1, "灾害"]])
        )
    return sheets


#: Characters that make a code look like another: zero-width space, non-joiner and joiner,
#: word joiner, BOM, bidi override and isolates.
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2066", "\u2069")
_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
#: Unit names a document must survive (names with control characters: CROSS_AREA_SHAPES).
HOSTILE_NAMES = ("长" * 100, "单位名称" * 25, "x" * 300, "#N/A", "#DIV/0!", "=1+1", "不适用")


@st.composite
def _lookalike(draw, code: str) -> str:
    """``code`` written so that it reads the same: full-width, or with an invisible character."""
    if draw(st.booleans()):
        return code.translate(_FULL_WIDTH)
    k = draw(st.integers(0, len(code)))
    return code[:k] + draw(st.sampled_from(INVISIBLE)) + code[k:]


def _ref(r: int, c: int) -> str:
    from hostile_xlsx import cell_ref

    return cell_ref(r, c)


@st.composite
def _damage(draw, sheets: list[Sheet]) -> list[Sheet]:
    """Apply one random kind of damage to ``sheets`` (a new list; rows are copied)."""
    sheets = [Sheet(s.name, [list(r) for r in s.rows], list(s.merged)) for s in sheets]
    kind = draw(
        st.sampled_from(
            ["cell", "cell", "cell", "header", "merge", "drop", "rename", "dup", "empty", "large", "far", "rows"]
            + ["merges", "codes", "names", "longcodes", "shape"]
        )
    )
    sheet = draw(st.sampled_from(sheets))
    rows = sheet.rows
    if kind == "cell" and rows:
        r = draw(st.integers(0, len(rows) - 1))
        width = max(len(rows[r]), 1)
        c = draw(st.integers(0, width))
        while len(rows[r]) <= c:
            rows[r].append(None)
        rows[r][c] = draw(hostile_values)
    elif kind == "header" and rows and rows[0]:
        c = draw(st.integers(0, len(rows[0]) - 1))
        rows[0][c] = draw(st.one_of(TEXT, st.sampled_from(["", "编码", "分值", "单位编码", " 编码 ", "CODE"])))
    elif kind == "merge" and rows:
        r0 = draw(st.integers(0, len(rows)))
        c0 = draw(st.integers(0, 4))
        r1 = r0 + draw(st.integers(0, 3))
        c1 = c0 + draw(st.integers(0 if r1 > r0 else 1, 3))
        sheet.merged = [*sheet.merged, f"{_ref(r0, c0)}:{_ref(r1, c1)}"]
    elif kind == "drop" and len(sheets) > 1:
        sheets.remove(sheet)
    elif kind == "rename":
        new = draw(st.one_of(TEXT.filter(lambda t: t.strip() and not set(t) & set("[]:*?/\\'")), st.sampled_from(
            ["indicators", "DATA", " 数据", "Sheet1", "结果", "历年"])))  # fmt: skip
        if all(s.name != new for s in sheets):
            sheet.name = new[:31]
    elif kind == "dup":
        alias = {"设置": "settings", "指标": "indicators", "单位": "units", "数据": "data"}.get(sheet.name, "Sheet9")
        if all(s.name != alias for s in sheets):
            sheets.append(Sheet(alias, [list(r) for r in rows]))
    elif kind == "empty":
        sheet.rows = draw(st.sampled_from([[], [[]], [[None, None]], [[""]]]))
    elif kind == "large":
        n = draw(st.integers(100, 3000))
        width = max((len(r) for r in rows), default=3)
        filler = draw(hostile_values)
        sheet.rows = [*rows, *([filler] * width for _ in range(n))]
    elif kind == "far":
        sheet.far = [(draw(st.sampled_from(["Z500", "AZ20", "A20000", "CV3000"])), draw(hostile_values))]
    elif kind == "rows" and len(rows) > 1:
        k = draw(st.integers(1, len(rows) - 1))
        if draw(st.booleans()):
            del rows[k]
        else:
            rows.insert(k, [draw(hostile_values) for _ in range(len(rows[0]))])
    elif kind == "merges":
        # Thousands of one range, a staircase of overlapping ones, or ranges as large as a sheet.
        shape = draw(st.sampled_from(["same", "overlap", "huge"]))
        if shape == "same":
            r0, c0 = draw(st.integers(0, 20)), draw(st.integers(0, 4))
            ref = f"{_ref(r0, c0)}:{_ref(r0 + draw(st.integers(0, 30)), c0 + draw(st.integers(1, 3)))}"
            sheet.merged = [*sheet.merged, *[ref] * draw(st.integers(1000, 5000))]
        elif shape == "overlap":
            n = draw(st.integers(100, 3000))
            sheet.merged = [*sheet.merged, *(f"A{k}:Z{k + 2000}" for k in range(1, n + 1))]
        else:
            sheet.merged = [*sheet.merged, *draw(st.sampled_from([["A1:XFD1048576"], ["B2:XFD1048576"] * 500]))]
    elif kind == "codes":
        # A code where it is defined or used, written as a look-alike of itself.
        cells = [(s, r) for s in sheets if s.name in _CODE_SHEETS for r in range(1, len(s.rows)) if s.rows[r]]
        if cells:
            target, r = draw(st.sampled_from(cells))
            row = target.rows[r]
            if isinstance(row[0], str) and row[0]:
                row[0] = draw(_lookalike(row[0]))
        data = next((s for s in sheets if s.name == "数据"), None)
        if data is not None and data.rows and len(data.rows[0]) > 2 and draw(st.booleans()):
            c = draw(st.integers(2, len(data.rows[0]) - 1))
            data.rows[0][c] = draw(_lookalike(str(data.rows[0][c])))
    elif kind == "names":
        units = next((s for s in sheets if s.name == "单位"), None)
        if units is not None and len(units.rows) > 1:
            for r in draw(st.lists(st.integers(1, len(units.rows) - 1), min_size=1, max_size=5)):
                if len(units.rows[r]) > 1:
                    units.rows[r][1] = draw(st.sampled_from(HOSTILE_NAMES))
    elif kind == "longcodes":
        # Hundreds of long codes that match nothing: each asks for a "did you mean".
        target = next((s for s in sheets if s.name in ("数据", "加减分") and s.rows), None)
        if target is not None:
            n, length = draw(st.integers(50, 600)), draw(st.integers(60, 300))
            width = len(target.rows[0])
            for k in range(n):
                code = ("ab" * length)[: length - len(str(k))] + str(k)
                target.rows.append([code, *[draw(st.sampled_from([1, "加分", 90]))] * (width - 1)])
    elif kind == "shape":
        sheets = draw(st.sampled_from(list(CROSS_AREA_SHAPES.values())))(sheets)
    return sheets


#: Sheets whose first column holds unit codes (or, in 指标, indicator codes).
_CODE_SHEETS = ("单位", "指标", "数据", "加减分", "否决", "修正")


def _put(sheets: list[Sheet], name: str, r: int, c: int, value: object) -> list[Sheet]:
    sheets = [Sheet(s.name, [list(row) for row in s.rows], list(s.merged), far=list(s.far)) for s in sheets]
    for s in sheets:
        if s.name == name and r < len(s.rows):
            while len(s.rows[r]) <= c:
                s.rows[r].append(None)
            s.rows[r][c] = value
    return sheets


def _far(sheets: list[Sheet], name: str, ref: str) -> list[Sheet]:
    sheets = [Sheet(s.name, [list(row) for row in s.rows], list(s.merged), far=list(s.far)) for s in sheets]
    for s in sheets:
        if s.name == name:
            s.far = [*s.far, (ref, 1)]
    return sheets


#: Shapes whose failure was outside the reader (the package scan and the documents): drawn by
#: :func:`workbooks` as the damage kind "shape", and each also run alone by the fuzz test.
CROSS_AREA_SHAPES: dict[str, Callable[[list[Sheet]], list[Sheet]]] = {
    # python-calamine panics (PanicException, not an Exception) building a date from the serial -1e20.
    "date_formatted_minus_1e20": lambda sheets: _put(sheets, "数据", 1, 2, Dated(-1e20)),
    # A lower-case reference once escaped the far-cell check; python-calamine then asked for 512 GB.
    "lower_case_far_ref": lambda sheets: _far(sheets, "数据", "xfd1048576"),
    # Control characters in a unit name (typed, or as Excel's _x0001_ escape) once made the
    # bulletin's XML invalid.
    "control_chars_in_names": lambda sheets: _put(sheets, "单位", 1, 1, "\x01\x02单位"),
    "x0001_escape_in_names": lambda sheets: _put(sheets, "单位", 1, 1, "_x0001_单位_x001F_"),
}


@st.composite
def workbooks(draw, max_damage: int = 4) -> list[Sheet]:
    """A valid workbook damaged 0..``max_damage`` times."""
    sheets = draw(valid_sheets())
    for _ in range(draw(st.integers(0, max_damage))):
        sheets = draw(_damage(sheets))
    return sheets


# --------------------------------------------------------------------------- the oracle


def _cli(argv: list[str]) -> tuple[int | None, str, str, BaseException | None]:
    from perf_excel.cli import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except BaseException as exc:  # the property: nothing but an exit code comes out
        return None, out.getvalue(), err.getvalue(), exc
    return code, out.getvalue(), err.getvalue(), None


def _opens(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def run_commands(
    sheets: list[Sheet], folder: Path, name: str = "考核表.xlsx", report: bool = True, stats: dict | None = None
) -> list[str]:
    """Write the workbook and run check, score (-o, --json) and report on it; the list of failures.

    ``stats`` (if given) counts the exit codes per command, e.g. ``stats["score 0"]``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = write_xlsx(folder / name, sheets)
    failures: list[str] = []

    def expect(label: str, result) -> int | None:
        code, out, err, exc = result
        if stats is not None:
            stats[f"{label} {code}"] = stats.get(f"{label} {code}", 0) + 1
        if exc is not None:
            failures.append(f"{label}: {type(exc).__name__}: {exc}")
            return None
        if code not in (0, 1):
            failures.append(f"{label}: exit code {code}")
        if code == 1:
            text = (out + err).strip()
            if name not in text:
                failures.append(f"{label}: error without the file name: {text[:300]}")
        if any(mark in out + err for mark in ("Traceback", 'File "')):
            failures.append(f"{label}: traceback in output")
        return code

    expect("check", _cli(["check", str(path)]))
    results = folder / "结果.xlsx"
    code = expect("score", _cli(["score", str(path), "-o", str(results), "--json"]))
    if code == 0:
        if not _opens(results):
            failures.append("score: results workbook missing or broken")
        _, out, _, _ = _cli(["score", str(path), "--json"])
        try:
            records = json.loads(out)
        except ValueError:
            failures.append(f"score --json: not JSON: {out[:200]}")
            records = []
        for rec in records:
            total = rec.get("total")
            if total is not None and not (isinstance(total, (int, float)) and math.isfinite(total)):
                failures.append(f"score --json: total {total!r} of {rec.get('unit')}")
    if report:
        out_dir = folder / "通报"
        code = expect("report", _cli(["report", str(path), "-o", str(out_dir)]))
        if code == 0:
            docs = list(out_dir.glob("*.docx"))
            if len(docs) != 1 or not _opens(docs[0]):
                failures.append(f"report: bulletin missing or broken ({docs})")
    return failures
