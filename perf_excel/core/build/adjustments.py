"""The optional sheets about single units: 加减分 (bonus and penalty), 否决 (veto), 修正 (correction)."""

from __future__ import annotations

from perf_excel.core.build.collector import Collector, check_unit, sheet_rows
from perf_excel.core.errors import quote
from perf_excel.core.model import Adjustment, Correction, Veto
from perf_excel.core.numbers import cell_text


def parse_adjustments(t, c: Collector, units) -> tuple[Adjustment, ...]:
    spec = {"单位编码": ("unit", "编码"), "类型": ("kind", "type"), "分值": ("points",), "事由": ("reason",)}
    out = []
    for i, row, cols in sheet_rows(t, c, spec, ("单位编码", "类型", "分值")):
        code = cell_text(row["单位编码"])
        ok = check_unit(t, i, cols["单位编码"], code, units, c)
        kind = cell_text(row["类型"])
        if kind not in ("加分", "扣分"):
            c.error(t.sheet, t.cell(i, cols["类型"]), f"类型 {quote(row['类型'])} 无效（应为 加分 或 扣分）")
            ok = False
        pts = c.number(t, i, cols["分值"], "分值", required=True)
        if pts is None:
            continue
        if pts < 0 and kind == "扣分":
            pts = -pts  # "-2" under 扣分 means 2 points off, the sign is redundant
        elif pts < 0:
            c.error(
                t.sheet, t.cell(i, cols["分值"]), f"加分的分值 {quote(row['分值'])} 不能为负（扣分请选类型 “扣分”）"
            )
            ok = False
        if ok:
            out.append(
                Adjustment(code, kind, pts, reason=cell_text(row["事由"]), cell=f"{t.sheet}!{t.cell(i, cols['分值'])}")
            )
    return tuple(out)


def parse_vetoes(t, c: Collector, units) -> tuple[Veto, ...]:
    spec = {"单位编码": ("unit", "编码"), "事项": ("item",), "事由": ("reason",)}
    out = []
    for i, row, cols in sheet_rows(t, c, spec, ("单位编码",)):
        code = cell_text(row["单位编码"])
        if check_unit(t, i, cols["单位编码"], code, units, c):
            out.append(
                Veto(
                    code,
                    cell_text(row["事项"]),
                    reason=cell_text(row["事由"]),
                    cell=f"{t.sheet}!{t.cell(i, cols['单位编码'])}",
                )
            )
    return tuple(out)


def parse_corrections(t, c: Collector, units, indicators) -> tuple[Correction, ...]:
    spec = {"单位编码": ("unit", "编码"), "指标编码": ("indicator",), "系数": ("coefficient",), "事由": ("reason",)}
    out, seen = [], {}
    for i, row, cols in sheet_rows(t, c, spec, ("单位编码", "系数")):
        code = cell_text(row["单位编码"])
        ok = check_unit(t, i, cols["单位编码"], code, units, c)
        ind = cell_text(row["指标编码"])
        if ind and c.lookalike(t, i, cols["指标编码"], ind, "指标编码"):
            ok = False
        elif ind and ind not in indicators:
            c.error(
                t.sheet,
                t.cell(i, cols["指标编码"]),
                f"指标编码 {quote(ind)} 不在指标表中{c.suggest(ind, indicators, t.sheet)}",
            )
            ok = False
        coef = c.number(t, i, cols["系数"], "系数", required=True)
        if coef is not None and coef <= 0:
            c.error(t.sheet, t.cell(i, cols["系数"]), f"修正系数 {quote(row['系数'])} 应大于 0")
            ok = False
        where = t.cell(i, cols["单位编码"])
        if (code, ind) in seen:
            c.error(
                t.sheet,
                where,
                f"单位 {quote(code)} 的{('指标 ' + quote(ind)) if ind else '总分'}修正重复（已见于 {seen[(code, ind)]}）",
            )
            ok = False
        seen[(code, ind)] = where
        if ok and coef is not None:
            out.append(
                Correction(code, ind, coef, reason=cell_text(row["事由"]), cell=f"{t.sheet}!{t.cell(i, cols['系数'])}")
            )
    return tuple(out)
