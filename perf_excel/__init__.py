"""perf_excel: Excel-first performance assessment (绩效考核).

The core (this package's top level) imports no file, Excel or Word library:
``assess`` scores a :class:`Scheme` on data. Adapters live in their own modules and
are loaded only when used: ``read_workbook`` (perf_excel.workbook), ``render``
(perf_excel.render), ``udfs`` (Excel custom functions), ``cli``.
"""

from __future__ import annotations

# First: makes Ctrl-C quiet while `perf-excel` starts (the imports below take a second).
from . import _interrupt  # noqa: F401
from .assess import Results, assess
from .build import build_scheme, load_tables
from .dataset import Dataset
from .errors import InputError, OutputError, PerfExcelError, Problem, TemplateError, UsageError
from .model import Adjustment, Band, Correction, Indicator, Scheme, Settings, Unit, Veto
from .tables import Table

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
        from .workbook import read_workbook

        return read_workbook
    raise AttributeError(name)
