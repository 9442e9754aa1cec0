"""The 单位 sheet: each unit's code, name and category."""

from __future__ import annotations

from perf_excel.core.build.collector import Collector, find_columns
from perf_excel.core.errors import quote
from perf_excel.core.model import Unit
from perf_excel.core.numbers import cell_text
from perf_excel.core.tables import Table


def parse_units(t: Table | None, c: Collector) -> tuple[Unit, ...]:
    if t is None:
        return ()
    cols = find_columns(t, {"编码": ("code", "单位编码"), "名称": ("name", "单位名称"), "类别": ("category",)})
    for name in ("编码", "名称", "类别"):
        if cols[name] is None:
            c.error(t.sheet, "", f"缺少 “{name}” 列")
    if None in cols.values():
        return ()
    units, seen = [], {}
    for i in t:
        code = cell_text(t.value(i, cols["编码"]))
        name = cell_text(t.value(i, cols["名称"]))
        cat = cell_text(t.value(i, cols["类别"]))
        if not (code or name or cat):
            continue
        if not code:
            c.error(t.sheet, t.cell(i, cols["编码"]), f"单位 {quote(name)} 的编码为空")
            continue
        # A look-alike is reported and kept: its rows elsewhere then report at their own cells.
        c.lookalike(t, i, cols["编码"], code, "单位编码")
        if code in seen:
            c.error(t.sheet, t.cell(i, cols["编码"]), f"单位编码 {quote(code)} 重复（已见于 {seen[code]}）")
            continue
        seen[code] = t.cell(i, cols["编码"])
        if not cat:
            c.error(t.sheet, t.cell(i, cols["类别"]), f"单位 {quote(code)} 的类别为空")
        units.append(Unit(code, name or code, cat, {"": t.cell(i, cols["编码"])}))
    if not units:
        c.error(t.sheet, "", "没有任何单位")
    return tuple(units)
