"""The PERF_* functions as Excel sees them, on Linux without Excel.

With stand-in pywin32 modules (support.xlstandin), xlwings' classic decorators record
real metadata, ``xlwings.udfs.generate_vba_wrapper`` writes the VBA wrappers (compared
with the reviewed golden file), and ``XLPython.CallUDF`` — what each VBA wrapper calls —
runs xlwings' own conversion pipeline with its Windows engine on values shaped as COM
hands them over: 2D tuples, pywintypes dates, error codes, the "missing" marker.

Refresh the golden file after a reviewed change with:

    PERF_EXCEL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_udfs_excel.py
"""

from __future__ import annotations

import difflib
import inspect
import os
import sys
from datetime import datetime
from pathlib import Path

import pytest
from support.xlstandin import TimeType, udf_vba_module, windows_xlwings

import perf_excel.udfs as plain_udfs

GOLDEN = Path(__file__).parent / "golden" / "vba" / "xlwings_udfs.bas"
MISSING = -2147352572  # DISP_E_PARAMNOTFOUND: what VBA passes for an omitted Optional argument
DIV0 = -2146826281  # #DIV/0! as COM passes it
NA = -2146826246  # #N/A

# Words VBA does not accept (or that shadow statements) as parameter names.
VBA_RESERVED = {
    "and", "as", "boolean", "byref", "byte", "byval", "call", "case", "class", "close", "const", "currency",
    "date", "debug", "declare", "dim", "do", "double", "each", "else", "elseif", "empty", "end", "enum", "eqv",
    "erase", "error", "event", "exit", "false", "for", "friend", "function", "get", "global", "gosub", "goto",
    "if", "imp", "implements", "in", "input", "integer", "is", "let", "lib", "like", "line", "lock", "long",
    "loop", "lset", "me", "mid", "mod", "name", "new", "next", "not", "nothing", "null", "on", "open", "option",
    "optional", "or", "paramarray", "preserve", "print", "private", "property", "public", "put", "raiseevent",
    "redim", "rem", "resume", "return", "rset", "seek", "select", "set", "single", "static", "step", "stop",
    "string", "sub", "then", "to", "true", "type", "typeof", "unlock", "until", "variant", "wend", "while",
    "width", "with", "withevents", "write", "xor", "caller",
}  # fmt: skip


@pytest.fixture(scope="module")
def xl():
    with windows_xlwings() as handle:
        yield handle


def public_functions(module):
    return {name: getattr(module, name) for name in dir(module) if name.startswith("PERF_")}


# --- VBA wrappers ------------------------------------------------------------------------
def test_vba_wrappers_match_the_reviewed_golden_file():
    text = udf_vba_module()
    if os.environ.get("PERF_EXCEL_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="ascii", newline="\n")
    expected = GOLDEN.read_text(encoding="ascii")
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), text.splitlines(), "golden", "generated", lineterm=""))
    assert text == expected, f"VBA wrappers changed; review and refresh the golden file:\n{diff}"


def test_vba_module_is_ascii_and_has_one_wrapper_per_function():
    # Import Functions writes a temporary .bas file that VBA reads in the ANSI code page:
    # only ASCII survives every locale (Chinese lives in the descriptions, set through COM).
    text = GOLDEN.read_text(encoding="ascii")
    names = sorted(public_functions(plain_udfs))
    assert [line.split("(")[0].split()[1] for line in text.splitlines() if line.startswith("Function ")] == names
    assert text.count('XLPy.CallUDF("perf_excel.udfs"') == 2 * len(names)
    assert "ActiveWorkbook" not in text  # a workbook, not an add-in: ThisWorkbook


def test_table_functions_are_not_run_by_the_function_wizard():
    text = GOLDEN.read_text(encoding="ascii")
    for name in ("PERF_ASSESS", "PERF_EXPLAIN"):
        body = text.split(f"Function {name}(")[1].split("End Function")[0]
        assert 'If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function' in body


# --- metadata ------------------------------------------------------------------------------
def test_every_public_function_is_registered(xl):
    assert set(public_functions(xl.module)) == {n for n in plain_udfs.__all__ if n.startswith("PERF_")}
    for name, f in public_functions(xl.module).items():
        assert f.__xlfunc__["name"] == name
        assert f.__xlfunc__["category"] == "绩效考核"
        assert f.__xlfunc__["sub"] is False
        assert f.__xlfunc__["async_mode"] is None


def test_parameters_are_positional_with_trailing_optionals(xl):
    for name, f in public_functions(xl.module).items():
        params = list(inspect.signature(f).parameters.values())
        assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params), name
        defaults = [p.default is not inspect.Parameter.empty for p in params]
        assert defaults == sorted(defaults), f"{name}: an optional parameter before a required one"
        assert all(p.default is None for p in params if p.default is not inspect.Parameter.empty), name
        info = f.__xlfunc__["args"]
        assert [a["name"] for a in info] == [p.name for p in params]
        assert ["optional" in a for a in info] == defaults
        for p in params:
            assert p.name.isascii() and p.name.lower() not in VBA_RESERVED, (name, p.name)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_descriptions_are_chinese_and_fit_the_function_wizard(xl):
    # MacroOptions takes at most 255 characters for a description and for each argument.
    for name, f in public_functions(xl.module).items():
        doc = f.__xlfunc__["ret"]["doc"]
        assert doc == f.__doc__ and _is_chinese(doc) and len(doc) <= 255 and "\n" not in doc, name
        for arg in f.__xlfunc__["args"]:
            assert _is_chinese(arg["doc"]) and len(arg["doc"]) <= 255, (name, arg["name"])
            assert arg["options"] == {"convert": arg["options"]["convert"], "ndim": 2, "err_to_str": True}


def test_the_stand_ins_restore_what_they_found(xl):
    import xlwings

    with windows_xlwings() as inner:
        assert inner.module is not xl.module
    assert sys.modules["perf_excel.udfs"] is xl.module
    assert xlwings.func is xl.udfs.xlfunc
    assert xlwings.engines["excel"].impl is xl.xlwindows.engine


# --- a call from Excel: XLPython.CallUDF with COM-shaped values ---------------------------
def test_column_in_list_of_rows_out(xl):
    assert xl.call_from_excel("PERF_RATIO", ((487.0,), (600.0,), (None,)), 500.0, 10.0, MISSING, MISSING) == [
        [pytest.approx(9.74)],
        [10.0],
        [""],
    ]


def test_single_cell_is_a_scalar_and_omitted_optionals_take_defaults(xl):
    # CallUDF hands a 1×1 result back as a scalar; omitted 方向/封顶 are 正向 and 1.
    assert xl.call_from_excel("PERF_RATIO", 487.0, 500.0, 10.0, MISSING, MISSING) == pytest.approx(9.74)
    assert xl.call_from_excel("PERF_RATIO", ((95.0,),), ((90.0,),), 10.0, "逆向", MISSING) == pytest.approx(9.473684)


def test_a_row_comes_back_as_a_row(xl):
    # CallUDF flattens a 1×N result into one list, which Excel spills across.
    assert xl.call_from_excel("PERF_DEDUCT", ((0.0, 3.0, 6.0),), 2.0, 10.0) == [10.0, 4.0, 0.0]


def test_chinese_text_in_and_out(xl):
    assert xl.call_from_excel("PERF_GRADE_SCORE", (("优",), ("良",), ("差",)), 10.0, MISSING) == [[10.0], [8.0], [4.0]]
    got = xl.call_from_excel(
        "PERF_GRADE", ((95.0,), (92.0,), (61.0,)), (("县市区",), ("县市区",), ("市直部门",)), MISSING, MISSING, "前1名"
    )
    assert got == [["优秀"], ["良好"], ["合格"]]
    assert xl.call_from_excel("PERF_VETO", (("青山区",), ("江北区",)), (("江北区",),)) == [[""], ["是"]]


def test_excel_errors_arrive_as_text_and_are_reported(xl):
    got = xl.call_from_excel("PERF_RATIO", ((DIV0,), (NA,), (487.0,)), 500.0, 10.0, MISSING, MISSING)
    assert got == [
        ["#错误：实际值 “#DIV/0!” 不是有效数字"],
        ["#错误：实际值 “#N/A” 不是有效数字"],
        [pytest.approx(9.74)],
    ]


def test_a_date_cell_as_a_value_is_reported(xl):
    got = xl.call_from_excel("PERF_RATIO", ((TimeType(2025, 3, 1, tzinfo=None),),), 500.0, 10.0, MISSING, MISSING)
    assert got == "#错误：实际值 “2025-03-01” 是日期，不是数字"


INDICATORS = (
    ("编码", "维度", "指标名称", "分值", "计分方法", "目标值"),
    ("A1", "经济发展", "地区生产总值增速", 100.0, "完成比例", 6.5),
)
UNITS = (("编码", "名称", "类别"), ("X01", "青山区", "县市区"), ("X02", "江北区", "县市区"))
DATA = (("单位编码", "A1", None), ("X01", 6.5, None), ("X02", 5.2, None), (None, None, None))


@pytest.mark.parametrize(
    "date",
    [
        TimeType(2026, 1, 20),  # a date cell, as pywin32 hands it over
        datetime(2026, 1, 20),
        46042.0,  # the same date as a serial number (a cell formatted as number)
        "2026年1月20日",
    ],
)
def test_assess_takes_dates_as_datetimes_serials_or_text(xl, date):
    settings = (("项目", "值"), ("考核名称", "2025年度绩效考核"), ("成文日期", date))
    got = xl.call_from_excel("PERF_ASSESS", INDICATORS, UNITS, DATA, MISSING, MISSING, MISSING, settings)
    # 6.5/6.5×100 = 100; 5.2/6.5×100 = 80
    assert got[0] == ["单位编码", "单位名称", "类别", "经济发展", "加减分", "总分", "类别排名", "等次", "否决", "说明"]
    assert [r[:9] for r in got[1:]] == [
        ["X01", "青山区", "县市区", 100.0, 0.0, 100.0, 1, "优秀", ""],
        ["X02", "江北区", "县市区", pytest.approx(80.0), 0.0, 80.0, 2, "良好", ""],
    ]


def test_assess_names_the_cell_of_a_bad_date(xl):
    settings = (("项目", "值"), ("成文日期", "去年"))
    got = xl.call_from_excel("PERF_ASSESS", INDICATORS, UNITS, DATA, MISSING, MISSING, MISSING, settings)
    assert got == "#错误：设置!B2：成文日期 “去年” 不是有效日期（应形如 2026年1月20日）"


def test_results_are_plain_values_excel_accepts(xl):
    got = xl.call_from_excel("PERF_EXPLAIN", INDICATORS, UNITS, DATA, MISSING, MISSING, MISSING, MISSING, "X02")
    assert got == [["指标", "说明"], ["A1 地区生产总值增速", "完成比例：5.2/6.5×100 = 80.00"], ["总分", got[2][1]]]
    assert got[2][1].endswith("总分 80.00")


def test_weights_through_calludf(xl):
    # A consistent matrix with names, one triangle typed, 1/3 typed as text: w = 1/4, 3/4
    matrix = (("", "经济", "民生"), ("经济", 1.0, "1/3"), ("民生", None, 1.0))
    got = xl.call_from_excel("PERF_AHP", matrix, MISSING, MISSING)
    assert got[:3] == [["指标", "权重"], ["经济", pytest.approx(0.25)], ["民生", pytest.approx(0.75)]]
    # entropy: X1 = 1,2,3 and X2 = 1,1,3 → 0.296082, 0.703918 (worked out in test_udfs.py)
    data = (("单位", "X1", "X2"), ("甲", 1.0, 1.0), ("乙", 2.0, 1.0), ("丙", 3.0, 3.0))
    got = xl.call_from_excel("PERF_ENTROPY", data, (("正向", "正向"),))
    assert got == [
        ["指标", "权重"],
        ["X1", pytest.approx(0.296082, abs=1e-6)],
        ["X2", pytest.approx(0.703918, abs=1e-6)],
    ]
