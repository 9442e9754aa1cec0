"""The 指标 sheet: the columns every indicator has, then its method's own.

Each method's parameters and their checks live with the method (:mod:`perf_excel.core.methods`);
this module reads the common columns and hands the row to the method.
"""

from __future__ import annotations

from collections.abc import Mapping

from perf_excel.core.build.collector import LIST_SPLIT, Collector, find_columns
from perf_excel.core.errors import quote
from perf_excel.core.methods import WORKBOOK_NAMES, Method, lookup, points_problem, unknown_method_message
from perf_excel.core.model import Indicator, Settings
from perf_excel.core.numbers import cell_text, is_blank
from perf_excel.core.tables import Table

#: 指标 columns: contract name -> English aliases.
INDICATOR_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "编码": ("code", "指标编码"),
    "维度": ("dimension",),
    "指标名称": ("name", "指标"),
    "适用类别": ("categories", "category"),
    "分值": ("points", "weight", "权重"),
    "计分方法": ("method",),
    "方向": ("direction",),
    "目标值": ("target",),
    "下限": ("floor", "lower"),
    "封顶": ("cap",),
    "优秀值": ("excellent",),
    "良好值": ("good",),
    "平均值": ("average",),
    "较低值": ("low", "fair"),
    "较差值": ("poor",),
    "区间": ("bands",),
    "每项扣分": ("per_item",),
    "步长": ("step",),
    "浮动上限": ("step_bound", "bound"),
    "阶梯方式": ("step_mode",),
    "公式": ("formula",),
    "计量单位": ("unit",),
    "说明": ("note", "description"),
    "合理下限": ("plausible_min",),
    "合理上限": ("plausible_max",),
}

_DIRECTIONS = {
    "正向": True,
    "正": True,
    "+": True,
    "positive": True,
    "逆向": False,
    "反向": False,
    "逆": False,
    "负向": False,
    "-": False,
    "negative": False,
    "reverse": False,
}


def parse_indicators(t: Table | None, c: Collector, categories: set[str], settings: Settings) -> tuple[Indicator, ...]:
    if t is None:
        return ()
    cols = find_columns(t, INDICATOR_COLUMNS)
    for name in ("编码", "分值", "计分方法"):
        if cols[name] is None:
            c.error(t.sheet, "", f"缺少 “{name}” 列")
    if cols["编码"] is None or cols["分值"] is None or cols["计分方法"] is None:
        return ()
    out, seen = [], {}
    for i in t:
        row = {k: t.value(i, j) for k, j in cols.items()}
        if all(is_blank(v) for v in row.values()):
            continue
        ind = _parse_indicator(t, i, cols, row, c, categories, settings, seen)
        if ind is not None:
            out.append(ind)
    c.indicator_codes.update(seen)
    if not seen:
        c.error(t.sheet, "", "没有任何指标")
    return tuple(out)


def _parse_indicator(t, i, cols, row, c: Collector, categories, settings, seen) -> Indicator | None:
    """One 指标 row: the columns every indicator has, then its method's own (checked by the method)."""
    sheet = t.sheet

    def cell(name: str) -> str:
        j = cols.get(name)
        return t.cell(i, j) if j is not None else f"第{t.row_numbers[i]}行"

    code = cell_text(row["编码"])
    if not code:
        c.error(sheet, cell("编码"), "指标编码为空")
        return None
    if code in seen:
        c.error(sheet, cell("编码"), f"指标编码 {quote(code)} 重复（已见于 {seen[code]}）")
        return None
    seen[code] = cell("编码")
    errors_before = sum(p.is_error for p in c.problems)
    c.lookalike(t, i, cols["编码"], code, "指标编码")
    name = cell_text(row["指标名称"]) or code
    dimension = cell_text(row["维度"])
    if not dimension:
        c.error(sheet, cell("维度"), f"指标 {quote(code)} 的维度为空")
    points = c.number(t, i, cols["分值"], "分值", required=True)
    bad_points = points_problem(points, row["分值"]) if points is not None else None
    if bad_points:
        c.error(sheet, cell("分值"), bad_points)
    method_text = cell_text(row["计分方法"])
    method = lookup(method_text) if method_text else None
    if not method:
        if not method_text:
            c.error(sheet, cell("计分方法"), f"指标 {quote(code)} 的计分方法为空")
        else:
            c.error(
                sheet,
                cell("计分方法"),
                unknown_method_message(method_text, c.suggest(method_text, WORKBOOK_NAMES, sheet)),
            )
    direction = cell_text(row["方向"])
    positive = _DIRECTIONS.get(direction.lower(), None) if direction else True
    if positive is None:
        c.error(sheet, cell("方向"), f"方向 {quote(direction)} 无效（应为 正向 或 逆向）")
        positive = True
    cats = tuple(p for p in LIST_SPLIT.split(cell_text(row["适用类别"])) if p)
    for cat in cats:
        if categories and cat not in categories:
            c.error(
                sheet,
                cell("适用类别"),
                f"适用类别 {quote(cat)} 不是单位表中的类别{c.suggest(cat, categories, sheet)}（现有：{'、'.join(sorted(categories))}）",
            )
    kw: dict[str, object] = {}
    if method is not None:
        kw, reported = _method_fields(t, i, cols, row, c, code, method, settings)
        probe = Indicator(code, name, dimension, points, method.key, positive, **kw)
        for column, message in method.problems(probe, row, reported):
            c.error(sheet, cell(column), message)
    for column, attr in (("合理下限", "plausible_min"), ("合理上限", "plausible_max")):
        if cols[column] is not None:
            kw[attr] = c.number(t, i, cols[column], column)
    if sum(p.is_error for p in c.problems) > errors_before or method is None or points is None:
        return None
    cells = {name: t.cell(i, j) for name, j in cols.items() if j is not None}
    cells[""] = cell("编码")
    return Indicator(
        code=code,
        name=name,
        dimension=dimension,
        points=points,
        method=method.key,
        positive=positive,
        categories=cats,
        formula=cell_text(row["公式"]),
        unit=cell_text(row["计量单位"]),
        note=cell_text(row["说明"]),
        cells=cells,
        **kw,
    )


def _method_fields(
    t, i, cols, row, c: Collector, code: str, method: Method, settings
) -> tuple[dict[str, object], set[str]]:
    """Read the columns ``method`` uses: the Indicator fields, and the columns whose problem
    is recorded already (column missing, blank, unreadable) so that the method's check skips them."""
    values: list[object] = []
    reported: set[str] = set()
    for p in method.params:
        j = cols[p.column]
        value = None
        if j is None:
            if p.required and p.column not in reported:
                c.error(t.sheet, f"第{t.row_numbers[i]}行", f"指标 {quote(code)} 的计分方法需要 “{p.column}” 列")
                reported.add(p.column)
        elif p.parse is None:
            before = len(c.problems)
            value = c.number(t, i, j, p.column)
            if len(c.problems) > before:
                reported.add(p.column)
        elif text := cell_text(row[p.column]):
            try:
                value = p.parse(text)
            except ValueError as exc:
                c.error(t.sheet, t.cell(i, j), str(exc))
                reported.add(p.column)
        if value is None and p.required and p.column not in reported:
            # Blank: reported here, in the order of the columns, with the method's own words.
            c.error(t.sheet, t.cell(i, j), p.missing_message)
            reported.add(p.column)
        values.append(value)
    return method.fields(values, settings), reported
