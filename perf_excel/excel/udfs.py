"""Excel custom functions (PERF_*): the module users put in xlwings' "UDF Modules".

Every function is a one-liner over the core, called once per table or column (never
once per cell); a range result spills as a dynamic array. The xlwings decorators only
attach metadata (category 绩效考核, Chinese descriptions for the function wizard,
``ndim=2`` so that a column arrives as a list of rows and ``err_to_str`` so that an
Excel error such as ``#DIV/0!`` arrives as text and is reported, not taken as blank).
Called from Python, each function takes a scalar for a single cell or a list of rows
for a range and returns what the cell shows: a scalar or a list of rows. Bad input
returns a short Chinese text starting with ``#错误：``, never a traceback.

Parameters are positional (xlwings' VBA wrappers pass no keywords); optional ones are
trailing and default to ``None``. The docstrings are the function wizard's
descriptions, hence Chinese and at most 255 characters.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import xlwings as xw

from perf_excel.core.assess import assess, assign_grades, competition_ranks
from perf_excel.core.build import build_scheme
from perf_excel.core.errors import InputError, PerfExcelError, quote
from perf_excel.core.methods import METHODS, grade_fraction
from perf_excel.core.methods.efficacy import STANDARD_COLUMNS, standards_count_problem
from perf_excel.core.model import NOT_APPLICABLE
from perf_excel.core.numbers import is_blank, round_half_up_array
from perf_excel.core.tables import Table
from perf_excel.excel.ranges import (
    CellError,
    TableErrors,
    build_from_ranges,
    cell_text,
    error_text,
    flatten,
    is_single,
    number_or_error,
    problem_row,
    problems_text,
    reshape,
    scalar,
    settings_rows,
)

__all__ = [
    "CATEGORY",
    "PERF_AHP",
    "PERF_ASSESS",
    "PERF_BAND",
    "PERF_CRITIC",
    "PERF_DEDUCT",
    "PERF_EFFICACY",
    "PERF_ENTROPY",
    "PERF_EXPLAIN",
    "PERF_GRADE",
    "PERF_GRADE_SCORE",
    "PERF_LINEAR",
    "PERF_RANK",
    "PERF_RATIO",
    "PERF_VETO",
]

#: The function wizard's category of every PERF_* function.
CATEGORY = "绩效考核"

#: What a cell shows: a number, a text, a blank, or a list of rows of those.
Cell = Any


def _args(**docs: str) -> Callable:
    """xw.arg for every parameter: a list of rows for ranges, Excel errors as text, a doc."""

    def decorate(f: Callable) -> Callable:
        for name, doc in reversed(docs.items()):
            f = xw.arg(name, ndim=2, err_to_str=True, doc=doc)(f)
        return f

    return decorate


def _guarded(f: Callable) -> Callable:
    """Turn every failure into the text a cell shows; a cell never gets a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any) -> Cell:
        try:
            return f(*args)
        except CellError as exc:
            return str(exc)
        except TableErrors as exc:
            return problems_text(exc.problems)
        except InputError as exc:
            return problems_text(exc.problems)
        except PerfExcelError as exc:
            return error_text(exc.message)
        except Exception as exc:  # a cell must show a message, whatever went wrong
            return error_text(f"内部错误（{type(exc).__name__}）：{exc}")

    return wrapper


# --- per-indicator functions -------------------------------------------------------
_IND_HEADER = ("编码", "维度", "分值", "计分方法", "方向", "目标值", "下限", "封顶", "区间", "每项扣分")
_EFFICACY_COLUMNS = STANDARD_COLUMNS


def _described_as(key: str) -> Callable:
    """The function wizard's description is the method's catalogue text (the 说明 sheet's too)."""

    def decorate(f: Callable) -> Callable:
        f.__doc__ = METHODS[key].help
        return f

    return decorate


def _broadcast(name: str, value: object, shape: tuple[int, int], n: int, base: str = "实际值") -> list[object]:
    """A parameter per value: one cell for all, or a range the size of the values."""
    if value is None or is_single(value):
        return [None if value is None else scalar(value)] * n
    pshape, flat = flatten(value)
    if pshape != shape:
        raise CellError(
            f"{name}的区域为 {pshape[0]}×{pshape[1]}，应为单个单元格或与{base}相同（{shape[0]}×{shape[1]}）"
        )
    return flat


def _score_values(method: str, actual: object, params: dict[str, object], what: str = "实际值") -> Cell:
    """Score ``actual`` (a cell or a range) with one indicator method and its parameters.

    Parameters that are ranges the size of ``actual`` vary per value; each distinct set of
    parameters becomes one row of an 指标 table, checked by :func:`build_scheme` exactly as
    a workbook's row would be. Scores come from :data:`perf_excel.core.methods.METHODS`.
    """
    shape, xs = flatten(actual)
    single = is_single(actual)
    n = len(xs)
    fixed = {k: v for k, v in params.items() if k in _EFFICACY_COLUMNS}
    per_value = {k: _broadcast(k, v, shape, n, what) for k, v in params.items() if k not in fixed}
    keys = [tuple(per_value[k][i] for k in per_value) for i in range(n)]
    groups = list(dict.fromkeys(keys))
    header = list(_IND_HEADER) + list(fixed)
    rows: list[list[object]] = [header]
    for g, key in enumerate(groups):
        row: dict[str, object] = {"编码": f"P{g + 1}", "维度": "计分", "计分方法": method, **dict(zip(per_value, key))}
        row.update(fixed)
        rows.append([row.get(col) for col in header])
    scheme, _, problems = build_scheme({"指标": Table.from_rows("指标", rows)})
    group_error: dict[int, str] = {}
    for p in problems:
        if not p.is_error or p.sheet != "指标":
            continue
        r = problem_row(p)
        if r is None or len(groups) == 1:
            raise CellError(p.message)
        group_error.setdefault(r - 2, error_text(p.message))
    indicators = {ind.code: ind for ind in scheme.indicators}
    group_of = {key: g for g, key in enumerate(groups)}

    out: list[object] = [None] * n
    by_group: dict[int, list[int]] = {}
    values = np.full(n, np.nan)
    for i, x in enumerate(xs):
        g = group_of[keys[i]]
        if g in group_error:
            out[i] = group_error[g]
            continue
        ind = indicators[f"P{g + 1}"]
        if is_blank(x):
            continue  # not yet entered: the cell stays blank (the assessment counts 0)
        if isinstance(x, str) and x.strip() == NOT_APPLICABLE:
            out[i] = NOT_APPLICABLE
            continue
        if method == "定性":
            frac = None if not isinstance(x, str) else grade_fraction(ind.grade_table, x)
            if frac is None:
                grades = "、".join(dict.fromkeys(ind.grade_table))
                out[i] = error_text(f"{quote(cell_text(x))} 不是有效的定性等级（应为 {grades} 之一）")
                continue
            values[i] = frac
        else:
            v = number_or_error(x, what)
            if isinstance(v, str):
                out[i] = v
                continue
            if method == "扣分" and v < 0:
                out[i] = error_text(f"扣分项数 {quote(v)} 不能为负")
                continue
            values[i] = v
        by_group.setdefault(g, []).append(i)
    for g, idx in by_group.items():
        ind = indicators[f"P{g + 1}"]
        scores = METHODS[ind.method].score(ind, values[idx], np.zeros(len(idx)))
        for i, s in zip(idx, scores):
            out[i] = float(s)
    return reshape(out, shape, single)


@xw.func(category=CATEGORY)
@_args(
    actual="实际值：一个单元格或一列（空白返回空白，“不适用”原样返回）",
    target="目标值：大于 0；单个单元格，或与实际值同样大小的区域（每个单位一个目标值）",
    points="分值（满分）",
    direction="方向：正向（默认）或 逆向",
    cap="封顶：得分上限为 分值×封顶，默认 1",
)
@_guarded
@_described_as("ratio")
def PERF_RATIO(actual: Cell, target: Cell, points: Cell, direction: Cell = None, cap: Cell = None) -> Cell:
    return _score_values("完成比例", actual, {"目标值": target, "分值": points, "方向": direction, "封顶": cap})


@xw.func(category=CATEGORY)
@_args(
    actual="实际值：一个单元格或一列",
    standards="五个标准值（优秀、良好、平均、较低、较差）所在的 5 个单元格；由大到小为正向，由小到大为逆向",
    points="分值（满分）",
)
@_guarded
@_described_as("efficacy")
def PERF_EFFICACY(actual: Cell, standards: Cell, points: Cell) -> Cell:
    shape, values = flatten(standards)
    count = standards_count_problem(len(values))
    if count:
        raise CellError(count)
    params: dict[str, object] = {"分值": points, "方向": None}
    params.update(zip(_EFFICACY_COLUMNS, values))
    first, last = number_or_error(values[0], "优秀值"), number_or_error(values[4], "较差值")
    if isinstance(first, float) and isinstance(last, float) and first < last:
        params["方向"] = "逆向"
    return _score_values("功效系数", actual, params)


@xw.func(category=CATEGORY)
@_args(
    actual="实际值：一个单元格或一列",
    bands="区间规则，如 >=95:1; >=90:0.8; >=80:0.6; else:0（满足的第一条给出分值的比例）",
    points="分值（满分）",
)
@_guarded
@_described_as("band")
def PERF_BAND(actual: Cell, bands: Cell, points: Cell) -> Cell:
    return _score_values("区间", actual, {"区间": bands, "分值": points})


@xw.func(category=CATEGORY)
@_args(
    actual="实际值：一个单元格或一列",
    floor="下限：等于下限得 0（逆向指标的下限大于目标值）",
    target="目标值：达到目标值得满分",
    points="分值（满分）",
)
@_guarded
@_described_as("linear")
def PERF_LINEAR(actual: Cell, floor: Cell, target: Cell, points: Cell) -> Cell:
    return _score_values("线性", actual, {"下限": floor, "目标值": target, "分值": points})


@xw.func(category=CATEGORY)
@_args(
    count="扣分项数：一个单元格或一列（不能为负）",
    per_item="每项扣分：大于 0",
    points="分值（满分）",
)
@_guarded
@_described_as("deduct")
def PERF_DEDUCT(count: Cell, per_item: Cell, points: Cell) -> Cell:
    return _score_values("扣分", count, {"每项扣分": per_item, "分值": points}, what="扣分项数")


@xw.func(category=CATEGORY)
@_args(
    grade="定性等级：一个单元格或一列，如 优、良、中、差 或 A、B、C、D",
    points="分值（满分）",
    table="折算表（可省略），默认 优:1; 良:0.8; 中:0.6; 差:0.4（A–D 同）",
)
@_guarded
@_described_as("grade")
def PERF_GRADE_SCORE(grade: Cell, points: Cell, table: Cell = None) -> Cell:
    return _score_values("定性", grade, {"分值": points, "区间": table}, what="定性等级")


# --- per-table functions -----------------------------------------------------------
def _texts(name: str, value: object, shape: tuple[int, int], n: int, base: str) -> list[str]:
    return [cell_text(v) for v in _broadcast(name, value, shape, n, base)]


def _numbers(values: list[object], what: str) -> tuple[np.ndarray, list[object]]:
    """Floats (NaN where not a number) and, per value, what its cell shows if not scored."""
    nums = np.full(len(values), np.nan)
    shown: list[object] = [None] * len(values)
    for i, x in enumerate(values):
        v = number_or_error(x, what)
        if v is None:
            shown[i] = ""
        elif isinstance(v, str):
            shown[i] = v if v.startswith("#") else error_text(f"{what} {quote(v)} 不是有效数字")
        else:
            nums[i] = v
    return nums, shown


@xw.func(category=CATEGORY)
@_args(
    scores="得分或总分：一列",
    categories="类别（可省略）：与得分同样大小的一列，在各类别内分别排名",
)
@_guarded
def PERF_RANK(scores: Cell, categories: Cell = None) -> Cell:
    """类别内排名：分数高者在前，同分并列并占用名次（1、2、2、4）；空白不参加排名。"""
    shape, xs = flatten(scores)
    groups = np.array(_texts("类别", categories, shape, len(xs), "得分"), dtype=object)
    nums, out = _numbers(xs, "得分")
    ok = ~np.isnan(nums)
    if ok.any():
        ranks = competition_ranks([nums[ok]], groups[ok])
        for i, r in zip(np.flatnonzero(ok), ranks):
            out[i] = int(r)
    return reshape(out, shape, is_single(scores))


_YES = {"是", "否决", "y", "yes", "true", "1", "√", "x"}
_NO = {"", "否", "n", "no", "false", "0"}


def _flag(value: object, i: int) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError(f"否决列第 {i + 1} 个值 {quote(value)} 无效（应为 是 或 否）")


def _grade_settings(standards: object, quota: object, rounding: object, veto_mode: object):
    items: dict[str, object] = {"等次标准": scalar(standards) if standards is not None else None}
    if quota is not None:
        q = scalar(quota)
        if isinstance(q, (int, float)) and not isinstance(q, bool) and 0 < q < 1:
            items["优秀比例"] = q
        elif isinstance(q, str) and "%" in q.replace("％", "%"):
            items["优秀比例"] = q
        else:
            items["优秀名额"] = q
    items["比例取整"] = scalar(rounding) if rounding is not None else None
    items["否决效果"] = scalar(veto_mode) if veto_mode is not None else None
    t = Table.from_rows("设置", settings_rows(items))
    scheme, _, problems = build_scheme({"设置": t})
    errors = [p for p in problems if p.is_error and p.sheet == "设置"]
    if errors:
        raise CellError(errors[0].message)
    return scheme.settings


@xw.func(category=CATEGORY)
@_args(
    totals="总分：一列（先按四舍五入保留两位小数）",
    categories="类别（可省略）：与总分同样大小的一列；名额按类别分别计算",
    vetoed="是否否决（可省略）：一列，是/否",
    standards="等次标准（可省略），默认 优秀:90; 良好:80; 合格:60; 不合格:0",
    quota="优秀名额或比例（可省略）：20% 或 0.2 为比例，6 或 前6名 为名额",
    rounding="比例取整（可省略）：向下（默认）、四舍五入 或 向上",
    veto_mode="否决效果（可省略）：不得评优（默认）或 不合格",
)
@_guarded
def PERF_GRADE(
    totals: Cell,
    categories: Cell = None,
    vetoed: Cell = None,
    standards: Cell = None,
    quota: Cell = None,
    rounding: Cell = None,
    veto_mode: Cell = None,
) -> Cell:
    """评定等次：按分数线定等次，优秀按类别名额依名次取满为止；否决的单位不得评优（或定为不合格）。"""
    shape, xs = flatten(totals)
    n = len(xs)
    settings = _grade_settings(standards, quota, rounding, veto_mode)
    groups = np.array(_texts("类别", categories, shape, n, "总分"), dtype=object)
    flags = np.array([_flag(v, i) for i, v in enumerate(_broadcast("否决", vetoed, shape, n, "总分"))], dtype=bool)
    nums, out = _numbers(xs, "总分")
    ok = ~np.isnan(nums)
    if ok.any():
        rounded = round_half_up_array(nums[ok], 2)
        ranks = competition_ranks([rounded], groups[ok])
        grades, _ = assign_grades(rounded, ranks, groups[ok], flags[ok], settings)
        for i, g in zip(np.flatnonzero(ok), grades):
            out[i] = g
    return reshape(out, shape, is_single(totals))


@xw.func(category=CATEGORY)
@_args(unit_codes="单位编码：一列", veto_codes="被否决的单位编码：一列（如 否决 表的 单位编码 列）")
@_guarded
def PERF_VETO(unit_codes: Cell, veto_codes: Cell) -> Cell:
    """一票否决标记：单位编码出现在否决名单中的返回“是”，否则为空白。"""
    shape, codes = flatten(unit_codes)
    vetoes = {cell_text(v) for v in flatten(veto_codes)[1]} - {""}
    out = ["是" if cell_text(c) in vetoes else "" for c in codes]
    return reshape(out, shape, is_single(unit_codes))


_TABLE_DOCS = {
    "indicators": "指标表区域（含表头：编码、维度、指标名称、分值、计分方法……）",
    "units": "单位表区域（含表头：编码、名称、类别）",
    "data": "数据表区域（含表头：单位编码 和各指标编码）",
    "bonus": "加减分表区域（可省略；表头：单位编码、类型、分值、事由）",
    "vetoes": "否决表区域（可省略；表头：单位编码、事项、事由）",
    "corrections": "修正表区域（可省略；表头：单位编码、指标编码、系数、事由）",
    "settings": "设置表区域（可省略；表头：项目、值）",
}


# The table functions are not run by the function wizard: it would assess the whole
# workbook on every keystroke while the clerk types the arguments.
def _assess(*ranges: object):
    scheme, dataset = build_from_ranges(*ranges)
    return assess(scheme, dataset)


@xw.func(category=CATEGORY, call_in_wizard=False)
@_args(**_TABLE_DOCS)
@_guarded
def PERF_ASSESS(
    indicators: Cell,
    units: Cell,
    data: Cell,
    bonus: Cell = None,
    vetoes: Cell = None,
    corrections: Cell = None,
    settings: Cell = None,
) -> Cell:
    """完整考核：按指标、单位、数据等表计分、折算、修正、加减分、类别排名、评定等次，返回含表头的结果表（与“结果”工作表相同）。有错误时逐条列出。"""
    from perf_excel.xlsx.sheets import result_header, result_rows

    results = _assess(indicators, units, data, bonus, vetoes, corrections, settings)
    rows = [result_header(results), *result_rows(results)]
    return [[_cell(v) for v in row] for row in rows]


@xw.func(category=CATEGORY, call_in_wizard=False)
@_args(**_TABLE_DOCS, unit="单位编码（可省略）：给出时返回该单位每项指标的得分说明")
@_guarded
def PERF_EXPLAIN(
    indicators: Cell,
    units: Cell,
    data: Cell,
    bonus: Cell = None,
    vetoes: Cell = None,
    corrections: Cell = None,
    settings: Cell = None,
    unit: Cell = None,
) -> Cell:
    """得分说明：不给单位时返回说明列（表头“说明”，每个单位一行，顺序同单位表）；给出单位编码时返回该单位各指标的计分过程和总分构成。"""
    results = _assess(indicators, units, data, bonus, vetoes, corrections, settings)
    code = cell_text(scalar(unit)) if unit is not None else ""
    if not code:
        return [["说明"], *([results.total_explanation(c)] for c in results.units)]
    if code not in results.units:
        raise CellError(f"单位编码 {quote(code)} 不在单位表中")
    names = {i.code: i.name for i in results.scheme.indicators}
    rows = [["指标", "说明"]]
    rows += [[f"{c} {names[c]}", text] for c, text in results.explanations(code).items()]
    rows.append(["总分", results.total_explanation(code)])
    return rows


def _cell(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return ""
    return "" if value is None else value


# --- weights (perf_excel.core.weights) ----------------------------------------------------
_AHP_METHODS = {"特征向量法": "eigen", "特征向量": "eigen", "几何平均法": "geometric", "方根法": "geometric"}
_AHP_METHODS |= {"几何平均": "geometric", "算术平均法": "arithmetic", "和法": "arithmetic", "算术平均": "arithmetic"}


def _weights_problems(exc: InputError) -> TableErrors:
    """Weights problems name cells relative to the range (its top-left cell is A1)."""
    return TableErrors(
        [
            replace(p, message=f"区域 {p.cell}：{p.message}", cell="") if p.cell and not p.sheet else p
            for p in exc.problems
        ]
    )


def _option(value: object, default: str, names: dict[str, str]) -> str:
    text = cell_text(scalar(value)) if value is not None else ""
    return names.get(text, text.lower()) if text else default


@xw.func(category=CATEGORY)
@_args(
    matrix="判断矩阵：方阵（可含第一行、第一列的指标名称）；可只填上三角，空白按倒数补齐；1/3 可写作 =1/3",
    method="方法（可省略）：特征向量法（默认）、几何平均法 或 算术平均法",
    ri="RI 表（可省略）：saaty（默认）或 cn（国内教材表）",
)
@_guarded
def PERF_AHP(matrix: Cell, method: Cell = None, ri: Cell = None) -> Cell:
    """层次分析法（AHP）权重：返回各指标权重，其后为 λmax、CI、RI、CR 和一致性检验结论（CR < 0.1 为通过）。"""
    from perf_excel.core.weights import ahp_from_rows

    try:
        res = ahp_from_rows(matrix, _option(method, "eigen", _AHP_METHODS), _option(ri, "saaty", {}))
    except InputError as exc:
        raise _weights_problems(exc) from None
    rows: list[list[object]] = [["指标", "权重"]]
    rows += [[name, w] for name, w in zip(res.names, res.weights)]
    rows += [["λmax", res.lambda_max], ["CI", res.ci], ["RI", res.ri], ["CR", res.cr], ["结论", res.verdict]]
    return rows


def _data_weights(data: object, directions: object, method: str) -> Cell:
    from perf_excel.core.weights import weights_from_rows

    if directions is not None and is_single(directions):
        directions = cell_text(scalar(directions))
    try:
        res = weights_from_rows(data, directions, method)
    except InputError as exc:
        raise _weights_problems(exc) from None
    rows: list[list[object]] = [["指标", "权重"]]
    rows += [[name, w] for name, w in zip(res.names, res.weights)]
    rows += [["说明", note] for note in res.notes]
    return rows


_DATA_DOC = "数据：每行一个单位、每列一个指标（第一行为指标名称；单位编码、名称列自动跳过），不能有空值"
_DIRECTIONS_DOC = "方向（可省略，默认全部正向）：一行单元格（正向/逆向 或 +/-），或文字如 +,-,+"


@xw.func(category=CATEGORY)
@_args(data=_DATA_DOC, directions=_DIRECTIONS_DOC)
@_guarded
def PERF_ENTROPY(data: Cell, directions: Cell = None) -> Cell:
    """熵权法权重：按方向极差标准化，p = z/Σz，e = −Σ p·ln p / ln n，权重 = (1−e)/Σ(1−e)；返回各指标权重。"""
    return _data_weights(data, directions, "entropy")


@xw.func(category=CATEGORY)
@_args(data=_DATA_DOC, directions=_DIRECTIONS_DOC)
@_guarded
def PERF_CRITIC(data: Cell, directions: Cell = None) -> Cell:
    """CRITIC 权重：按方向极差标准化，信息量 = 标准差 × Σ(1 − 相关系数)，归一化为权重；返回各指标权重。"""
    return _data_weights(data, directions, "critic")
