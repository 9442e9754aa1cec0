"""perf_excel: Excel-first performance assessment (绩效考核).

The core (this package's top level) imports no file, Excel or Word library:
``assess`` scores a :class:`Scheme` on data. Adapters live in their own modules and
are loaded only when used: ``read_workbook`` (perf_excel.xlsx.reader), ``render``
(perf_excel.documents), ``udfs`` (Excel custom functions), ``cli``.
"""

from __future__ import annotations

# First: makes Ctrl-C quiet while `perf-excel` starts (the imports below take a second).
from perf_excel import _interrupt  # noqa: F401
from perf_excel.core.assess import Results, assess
from perf_excel.core.build import build_scheme, load_tables
from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import InputError, OutputError, PerfExcelError, Problem, TemplateError, UsageError
from perf_excel.core.model import Adjustment, Band, Correction, Indicator, Scheme, Settings, Unit, Veto
from perf_excel.core.tables import Table

__all__ = [
    "Adjustment",
    "Band",
    "Correction",
    "Dataset",
    "Indicator",
    "InputError",
    "OutputError",
    "PerfExcelError",
    "Problem",
    "Results",
    "Scheme",
    "Settings",
    "Table",
    "TemplateError",
    "Unit",
    "UsageError",
    "Veto",
    "assess",
    "build_scheme",
    "load_tables",
    "read_workbook",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # Adapters are imported lazily so that ``import perf_excel`` stays free of openpyxl.
    if name == "read_workbook":
        from perf_excel.xlsx.reader import read_workbook

        return read_workbook
    raise AttributeError(name)
