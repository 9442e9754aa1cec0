"""Yearbook tables (年鉴) across several years' results, in the style of 中国统计年鉴.

Each table has a number and title, a right-aligned unit line (``单位：分``), a stub column,
one column per year, three rules (top, below the header, bottom) and notes and 资料来源
under it. The same tables go to a .docx (from templates/yearbook.docx, years as ``{%tc%}``
columns) and to an .xlsx (one sheet per table).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from perf_excel.core.assess import Results
from perf_excel.core.errors import InputError
from perf_excel.documents.context import common_context, plain_context
from perf_excel.documents.docxtpl_render import render_docx
from perf_excel.documents.env import make_env, pts, rank_cn
from perf_excel.documents.output import write_bytes
from perf_excel.documents.templates import load_template

__all__ = ["render_yearbook", "yearbook_context", "write_yearbook_xlsx"]

MISSING = "…"
INDENT = "\u3000"  # a full-width space: the yearbook's indent of items under a group in the stub


def _year_of(results: Results, fallback: int) -> str:
    return str(results.scheme.settings.year or "").strip() or str(fallback)


def _check_years(results: Sequence[Results], sources: Sequence[str]) -> list[str]:
    years = []
    seen: dict[str, str] = {}
    problems = []
    for k, r in enumerate(results):
        src = sources[k] if k < len(sources) else f"第{k + 1}个工作簿"
        y = str(r.scheme.settings.year or "").strip()
        if not y:
            problems.append(f"{src} 设置：考核年度为空，无法编入年鉴")
            continue
        if y in seen:
            problems.append(f"{src} 设置：考核年度 “{y}” 与 {seen[y]} 相同，同一年度只能有一个工作簿")
        seen[y] = src
        years.append(y)
    if problems:
        raise InputError(problems)
    return years


def yearbook_context(results: Sequence[Results], sources: Sequence[str] = (), chapter: int = 1) -> dict[str, Any]:
    """The yearbook's tables; ``results`` in any order (sorted by 考核年度)."""
    if not results:
        raise InputError("年鉴至少需要一个年度的工作簿")
    years = _check_years(results, sources)
    order = sorted(range(len(results)), key=lambda k: (len(years[k]), years[k]))
    results = [results[k] for k in order]
    sources = [sources[k] for k in order] if sources else []
    years = [years[k] for k in order]
    latest = results[-1]
    s = latest.scheme.settings

    # Units: the latest year's order by category, then units that appear only in earlier years.
    categories: list[str] = []
    units: dict[str, tuple[str, str]] = {}
    for r in reversed(results):
        for u in r.scheme.units:
            if u.category not in categories:
                categories.append(u.category)
            units.setdefault(u.code, (u.name, u.category))
    by_year = [r.table for r in results]

    def unit_rows(cell) -> list[dict[str, Any]]:
        rows = []
        for cat in categories:
            rows.append({"label": cat, "cells": [""] * len(years), "group": True})
            for code, (name, ucat) in units.items():
                if ucat != cat:
                    continue
                vals = [cell(t, code) if code in t.index else MISSING for t in by_year]
                rows.append({"label": INDENT + name, "cells": vals, "group": False})
        return rows

    def tied(t, code) -> bool:
        sub = t[t["category"] == t.at[code, "category"]]
        return int((sub["rank"] == t.at[code, "rank"]).sum()) > 1

    def grade(t, code) -> str:
        g = str(t.at[code, "grade"])
        return g + "（否决）" if t.at[code, "vetoed"] else g

    avg_rows = []
    for cat in categories:
        vals = []
        for t in by_year:
            sub = t[t["category"] == cat]
            vals.append(pts(float(sub["total"].mean())) if len(sub) else MISSING)
        avg_rows.append({"label": cat, "cells": vals, "group": False})
    avg_rows.append({"label": "全部单位", "cells": [pts(float(t["total"].mean())) for t in by_year], "group": False})
    count_rows = []
    for cat in categories:
        count_rows.append(
            {"label": cat, "cells": [str(int((t["category"] == cat).sum())) for t in by_year], "group": False}
        )
    count_rows.append({"label": "合计", "cells": [str(len(t)) for t in by_year], "group": False})

    issuer = s.issuer or "考核机关"
    files = "、".join(sources) if sources else "各年度考核工作簿"
    source = (
        f"{issuer}{years[0]}—{years[-1]}年度绩效考核结果（{files}）。"
        if len(years) > 1
        else f"{issuer}{years[0]}年度绩效考核结果（{files}）。"
    )
    common_notes = [f"注：“{MISSING}”表示该单位当年未参加考核。"]
    tables = [
        {
            "key": "total",
            "title": "各单位历年考核总分",
            "unit": "分",
            "stub": "单位",
            "rows": unit_rows(lambda t, c: pts(t.at[c, "total"])),
            "notes": [*common_notes, "总分含加减分，按四舍五入保留两位小数；不适用指标已按规则折算。"],
        },
        {
            "key": "rank",
            "title": "各单位历年类别排名",
            "unit": "名",
            "stub": "单位",
            "rows": unit_rows(lambda t, c: rank_cn(t.at[c, "rank"], tied(t, c), short=True)),
            "notes": [*common_notes, "排名为本类别内名次，得分相同者并列。"],
        },
        {
            "key": "grade",
            "title": "各单位历年考核等次",
            "unit": "",
            "stub": "单位",
            "rows": unit_rows(grade),
            "notes": [*common_notes, "“（否决）”表示当年被一票否决。"],
        },
        {
            "key": "average",
            "title": "各类别历年平均得分",
            "unit": "分",
            "stub": "类别",
            "rows": avg_rows,
            "notes": ["注：平均得分为本类别参加考核单位总分的算术平均数。"],
        },
        {
            "key": "count",
            "title": "各类别历年参加考核单位数",
            "unit": "个",
            "stub": "类别",
            "rows": count_rows,
            "notes": [],
        },
    ]
    for k, t in enumerate(tables, start=1):
        t["number"] = f"表{chapter}-{k}"
        t["years"] = [f"{y}年" for y in years]
        t["source"] = source
    span = f"{years[0]}—{years[-1]}年" if len(years) > 1 else f"{years[0]}年"
    return plain_context(
        {
            **common_context(latest),
            "doc_title": f"绩效考核结果年鉴（{span}）",
            "years": years,
            "intro": f"本年鉴汇总{span}各年度绩效考核结果，包括各单位总分、类别排名、等次和各类别平均得分。",
            "tables": tables,
        }
    )


def write_yearbook_xlsx(ctx: dict[str, Any], path: str | Path) -> Path:
    """The yearbook's tables as a workbook, one sheet per table, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    from perf_excel.xlsx.sanitize import cells_as_text, clean_texts

    ctx = clean_texts(ctx)  # no control characters in names: XML cannot carry them
    thick, thin = Side(style="medium"), Side(style="thin")
    wb = Workbook()
    wb.remove(wb.active)
    for t in ctx["tables"]:
        ws = wb.create_sheet(t["number"])
        ncol = 1 + len(t["years"])
        last = get_column_letter(ncol)
        ws.append([f"{t['number']}　{t['title']}"])
        ws.merge_cells(f"A1:{last}1")
        ws["A1"].font = Font(name="黑体", size=12, bold=True)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append([""] * (ncol - 1) + [f"单位：{t['unit']}" if t["unit"] else ""])
        ws.cell(2, ncol).alignment = Alignment(horizontal="right")
        ws.append([t["stub"], *t["years"]])
        for c in range(1, ncol + 1):
            cell = ws.cell(3, c)
            cell.font = Font(name="黑体", size=10.5)
            cell.alignment = Alignment(horizontal="center", vertical="center")
            cell.border = Border(top=thick, bottom=thin)
        for row in t["rows"]:
            values: list[Any] = [row["label"]]
            for v in row["cells"]:
                values.append(_number(v) if t["key"] in ("total", "average", "count") else v)
            ws.append(values)
            r = ws.max_row
            ws.cell(r, 1).font = Font(name="宋体", size=10.5, bold=row["group"])
            for c in range(2, ncol + 1):
                cell = ws.cell(r, c)
                cell.alignment = Alignment(horizontal="right")
                cell.font = Font(name="Times New Roman", size=10.5)
                if isinstance(cell.value, float):
                    cell.number_format = "0.00"
        for c in range(1, ncol + 1):
            ws.cell(ws.max_row, c).border = Border(bottom=thick)
        for note in t["notes"]:
            ws.append([note])
        ws.append([f"资料来源：{t['source']}"])
        ws.column_dimensions["A"].width = 28
        for c in range(2, ncol + 1):
            ws.column_dimensions[get_column_letter(c)].width = 12
        ws.freeze_panes = "B4"
        ws.print_title_rows = "3:3"
    cells_as_text(wb)  # a unit called "=HYPERLINK(...)" stays text, never a formula that runs when opened
    buf = io.BytesIO()
    wb.save(buf)
    return write_bytes(Path(path), buf.getvalue())


def _number(text: str) -> Any:
    try:
        return float(text) if "." in text else int(text)
    except (TypeError, ValueError):
        return text


def render_yearbook(
    results: Sequence[Results],
    out_dir: str | Path,
    sources: Sequence[str] = (),
    template: str | Path | None = None,
    xlsx: bool = True,
) -> list[Path]:
    """Write the yearbook .docx (and .xlsx) into ``out_dir``; returns the paths."""
    ctx = yearbook_context(results, sources)
    name, data = load_template(template, "yearbook.docx")
    out_dir = Path(out_dir)
    stem = ctx["doc_title"]
    from perf_excel.files.outputs import safe_name

    docx_path = out_dir / safe_name(stem, ".docx")
    render_docx(name, data, ctx, docx_path, make_env())
    paths = [docx_path]
    if xlsx:
        paths.append(write_yearbook_xlsx(ctx, out_dir / safe_name(stem, ".xlsx")))
    return paths
