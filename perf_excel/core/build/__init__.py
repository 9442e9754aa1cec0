"""From sheets to a checked scheme: every problem found at once, each with its cell.

``build_scheme(tables)`` reads the contract sheets (as :class:`~perf_excel.core.tables.Table`
objects, from any front end), checks every value and every method's parameters, and
returns the scheme, the data and the list of problems. Nothing is guessed: a value that
cannot be read is an error naming the sheet, the cell and the value.

One module per sheet: :mod:`.settings` (设置), :mod:`.indicators` (指标), :mod:`.units` (单位),
:mod:`.data` (数据), :mod:`.adjustments` (加减分, 否决, 修正); :mod:`.collector` holds what
they share and :mod:`.codes` the rule for look-alike codes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import pandas as pd

from perf_excel.core import exante
from perf_excel.core.build.adjustments import parse_adjustments, parse_corrections, parse_vetoes
from perf_excel.core.build.codes import code_problem, normalise_code
from perf_excel.core.build.collector import Collector
from perf_excel.core.build.data import parse_data
from perf_excel.core.build.indicators import INDICATOR_COLUMNS, parse_indicators
from perf_excel.core.build.settings import QUOTA_TIES, ROUNDING, SETTING_KEYS, VETO_MODES, parse_grades, parse_settings
from perf_excel.core.build.units import parse_units
from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import InputError, Problem, quote
from perf_excel.core.formula import check_formulas
from perf_excel.core.methods import parse_bands, parse_grade_table
from perf_excel.core.model import Scheme, Settings
from perf_excel.core.numbers import cell_text
from perf_excel.core.tables import Table

__all__ = [
    "INDICATOR_COLUMNS",
    "QUOTA_TIES",
    "ROUNDING",
    "SETTING_KEYS",
    "VETO_MODES",
    "build_scheme",
    "cell_text",
    "code_problem",
    "dataset_from_frame",
    "load_tables",
    "normalise_code",
    "parse_bands",
    "parse_grade_table",
    "parse_grades",
]


def build_scheme(tables: Mapping[str, Table], file: str = "") -> tuple[Scheme, Dataset, list[Problem]]:
    """Build and check the scheme and data from the contract sheets.

    ``tables`` maps contract sheet names (设置, 指标, 单位, 数据, 加减分, 否决, 修正) to
    tables. Returns ``(scheme, dataset, problems)``; the caller decides what to do
    with errors (see :func:`load_tables`).
    """
    problems: list[Problem] = []
    c = Collector(problems, file)
    for required in ("指标", "单位", "数据"):
        if required not in tables:
            c.error(required, "", f"缺少 “{required}” 工作表")
    exempt: tuple = ()
    if exante.is_exante(tables.get("设置")):
        # 事前绩效评估: projects below their amount threshold are listed, not scored.
        plan = exante.plan_exante(tables, c.error)
        tables = exante.restrict(tables, plan.exempt_codes)
        exempt = plan.exempt
    units = parse_units(tables.get("单位"), c)
    categories = {u.category for u in units if u.category}
    settings = parse_settings(tables.get("设置"), c, categories)
    indicators = parse_indicators(tables.get("指标"), c, categories, settings)
    unit_map = {u.code: u for u in units}
    ind_codes = {i.code for i in indicators} | c.indicator_codes
    adjustments = parse_adjustments(tables.get("加减分"), c, unit_map)
    vetoes = parse_vetoes(tables.get("否决"), c, unit_map)
    corrections = parse_corrections(tables.get("修正"), c, unit_map, ind_codes)
    _check_tie_breakers(settings, indicators, c, tables.get("设置"))
    _check_category_totals(settings, indicators, categories, c, tables.get("指标"))
    dataset = parse_data(tables.get("数据"), c, units, indicators)
    if tables.get("数据") is not None and tables.get("指标") is not None:
        # Every 数据 header counts as a column (a referenced one is always parsed), so typos get suggestions.
        columns = [*dataset.values.columns, *tables["数据"].columns]
        formula_problems, _ = check_formulas(indicators, columns, tables["指标"].sheet, file, c.suggest)
        problems.extend(formula_problems)
    scheme = Scheme(settings, indicators, units, adjustments, vetoes, corrections, exempt=exempt)
    return scheme, dataset, problems


def _check_tie_breakers(settings: Settings, indicators, c: Collector, t: Table | None) -> None:
    known = {i.code for i in indicators} | {i.dimension for i in indicators}
    for name in settings.tie_breakers:
        if name not in known:
            c.error(
                t.sheet if t else "设置",
                settings.cells.get("排名依据", ""),
                f"排名依据 {quote(name)} 既不是维度也不是指标编码{c.suggest(name, known, t.sheet if t else '设置')}",
            )


def _check_category_totals(settings: Settings, indicators, categories, c: Collector, t) -> None:
    full = settings.full_marks if settings.full_marks is not None else 100.0
    for cat in sorted(categories):
        total = sum(i.points for i in indicators if i.applies_to(cat))
        if indicators and abs(total - full) > 1e-6:
            c.warn(
                t.sheet if t else "指标",
                "",
                f"类别 {quote(cat)} 的指标分值合计 {total:g} 分，与满分 {full:g} 分不符",
            )


def load_tables(tables: Mapping[str, Table], file: str = "") -> tuple[Scheme, Dataset, list[Problem]]:
    """:func:`build_scheme`, raising :class:`InputError` with every error if there is any.

    Returns ``(scheme, dataset, warnings)``.
    """
    scheme, dataset, problems = build_scheme(tables, file)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise InputError(errors)
    return scheme, dataset, problems


def dataset_from_frame(scheme: Scheme, frame: pd.DataFrame) -> Dataset:
    """Check and convert a pandas DataFrame (index: unit codes; one column per indicator code)
    into a :class:`Dataset`, with the same rules as a 数据 sheet (``不适用``, text numbers,
    定性 grades); raises :class:`InputError` listing every unreadable cell.
    """
    codes = [str(c) for c in frame.index]
    columns = [str(c) for c in frame.columns]
    rows = [[code, *vals] for code, vals in zip(codes, frame.astype(object).itertuples(index=False, name=None))]
    rows = [[None if isinstance(v, float) and math.isnan(v) else v for v in r] for r in rows]
    table = Table("数据", ("单位编码", *columns), rows)
    problems: list[Problem] = []
    # Hand-built 定性 indicators may leave their table to the settings' one.
    indicators = tuple(
        dataclasses.replace(i, grade_table=scheme.settings.grade_table)
        if i.method == "grade" and i.grade_table is None
        else i
        for i in scheme.indicators
    )
    dataset = parse_data(table, Collector(problems, ""), scheme.units, indicators)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise InputError(errors)
    return dataset
