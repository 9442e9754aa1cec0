"""Anomaly warnings for ``perf-excel check`` (adapter: reads the previous year's workbook).

The rules live in :mod:`perf_excel.core.anomalies` (pure); this module only finds the
earlier years' data — ``--previous FILE`` or the workbook's own 历年 sheet — and turns
the anomalies into problems for the command line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from perf_excel.core.anomalies import Anomaly, History, find_anomalies, history_from_dataset, history_from_table
from perf_excel.core.build import build_scheme
from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import WARNING, InputError, Problem
from perf_excel.core.formula import derive_columns
from perf_excel.core.model import Scheme
from perf_excel.core.tables import Table
from perf_excel.xlsx.reader import read_tables

__all__ = [
    "anomaly_records",
    "collect_anomalies",
    "derive_all",
    "read_previous",
]


def derive_all(scheme: Scheme, dataset: Dataset) -> Dataset:
    """``dataset`` with every derived indicator (公式 without a data column) computed."""
    derived = [i for i in scheme.indicators if i.formula and i.code not in dataset.values.columns]
    return derive_columns(derived, dataset, scheme.units) if derived else dataset


def read_previous(path: str | Path) -> tuple[History, list[Problem]]:
    """The previous year's workbook as a one-year :class:`History`.

    Its own errors do not stop the comparison (the readable values are used); they are
    summed up in one warning.
    """
    path = Path(path)
    scheme, dataset, problems = build_scheme(read_tables(path), file=path.name)
    notes: list[Problem] = []
    errors = [p for p in problems if p.is_error]
    if errors:
        notes.append(
            Problem(
                f"上年工作簿有 {len(errors)} 个错误（请用 perf-excel check 查看），仅用其中可读的数据做同比比较",
                file=path.name,
                severity=WARNING,
            )  # fmt: skip
        )
    try:
        dataset = derive_all(scheme, dataset)
    except InputError:
        pass  # derived values of last year stay blank; this year's formulas are checked elsewhere
    year = scheme.settings.year or _year_from_name(path.name) or "上"
    year = re.sub(r"\s*年$", "", year)
    return history_from_dataset(dataset, year, path.name), notes


def _year_from_name(name: str) -> str:
    m = re.search(r"(20\d{2}|19\d{2})", name)
    return m.group(1) if m else ""


def collect_anomalies(
    scheme: Scheme,
    dataset: Dataset,
    tables: Mapping[str, Table],
    path: str | Path,
    previous: str | Path | None = None,
) -> tuple[list[Anomaly], list[Problem]]:
    """The anomalies (for a results sheet or a bulletin appendix) and the other problems:
    errors of derived indicators (division by zero), unreadable 历年 rows, bad thresholds.
    """
    name = Path(path).name
    try:
        dataset = derive_all(scheme, dataset)
    except InputError as exc:
        return [], list(exc.with_file(name).problems)
    problems: list[Problem] = []
    history = None
    if previous:
        history, notes = read_previous(previous)
        problems += notes
    elif "历年" in tables:
        history, notes = history_from_table(tables["历年"], name)
        problems += notes
    anomalies, setting_problems = find_anomalies(scheme, dataset, history, name)
    problems += [p.with_file(name) for p in setting_problems]
    return anomalies, problems


def anomaly_records(anomalies: list[Anomaly]) -> list[dict[str, object]]:
    """Rows for a results sheet or a bulletin appendix."""
    return [a.to_record() for a in anomalies]
