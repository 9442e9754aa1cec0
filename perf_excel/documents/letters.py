"""The feedback letters (反馈单): one per unit, and optionally all of them in one file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf_excel.core.assess import Results
from perf_excel.core.errors import OutputError
from perf_excel.documents.chart import ChartMaker
from perf_excel.documents.context import LetterContexts
from perf_excel.documents.env import make_env
from perf_excel.documents.output import ensure_dir, write_bytes
from perf_excel.documents.prepared import PreparedTemplate
from perf_excel.documents.templates import load_template
from perf_excel.files.outputs import UniqueNames, safe_name

__all__ = ["CHART_WIDTH_MM", "LetterRun", "chart_function", "check_letters", "letter_filename", "render_letters"]

#: Width of the letter's chart in the page, mm (the text block is 156 mm).
CHART_WIDTH_MM = 130


def letter_filename(results: Results, unit: str, names: UniqueNames | None = None) -> str:
    """The letter's file name: ``编码_名称_反馈单.docx``, made safe (and, with ``names``, unique in its folder)."""
    base = f"{unit}_{results.table.at[unit, 'name']}_反馈单"
    return names.claim(base, ".docx", key=unit) if names is not None else safe_name(base, ".docx")


def check_letters(out_dir: Path, units: Sequence[str], files: Sequence[Path]) -> None:
    """One file per unit, all different: a name two units shared would lose a letter without a word."""
    distinct = {p.name.casefold() for p in files if p.is_file()}
    if len(files) != len(units) or len(distinct) != len(units):
        raise OutputError(
            f"{out_dir}：内部错误：{len(units)} 个单位只写出了 {len(distinct)} 份不同的反馈单，请将此工作簿反馈给维护人员"
        )


@dataclass
class LetterRun:
    """What :func:`render_letters` did: the files written and the warnings to show."""

    files: list[Path] = field(default_factory=list)
    merged: Path | None = None
    warnings: list[str] = field(default_factory=list)


def chart_function(charts: bool, image: Callable[[bytes, float], Any], run: LetterRun) -> Callable | None:
    if not charts:
        return None
    maker = ChartMaker()
    if not maker.available:
        run.warnings.append("未找到中文字体（如 Noto Sans CJK、文泉驿、黑体、微软雅黑），反馈单不插入图表")
        return None
    return lambda ctx: image(maker.png(ctx["dimensions"]), CHART_WIDTH_MM)


def render_letters(
    results: Results,
    out_dir: str | Path,
    units: Sequence[str] | None = None,
    template: str | Path | None = None,
    charts: bool = True,
    merged: bool = False,
    separate: bool = True,
) -> LetterRun:
    """Write one feedback letter per unit into ``out_dir`` (and, with ``merged``, one file of all).

    The template is opened and compiled once (:class:`PreparedTemplate`); each letter only renders.
    """
    name, data = load_template(template, "letter.docx")
    prepared = PreparedTemplate(data, name, make_env())
    out_dir = Path(out_dir)
    ensure_dir(out_dir)
    run = LetterRun()
    chart = chart_function(charts, prepared.image, run)
    units = list(dict.fromkeys(units if units is not None else results.units))
    contexts = []
    builder = LetterContexts(results)
    names = UniqueNames()
    title = results.scheme.settings.title or "绩效考核"
    merged_name = names.claim(f"{title}反馈单（合订）", ".docx") if merged else ""
    for unit in units:
        ctx = builder.context(unit, chart)
        if separate:
            run.files.append(prepared.render_to(ctx, out_dir / letter_filename(results, unit, names)))
        if merged:
            contexts.append(ctx)
    if separate:
        check_letters(out_dir, units, run.files)
    if merged:
        run.merged = write_bytes(out_dir / merged_name, prepared.render_merged(contexts))
    return run
