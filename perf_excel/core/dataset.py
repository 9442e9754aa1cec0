"""The 数据 sheet as arrays: one row per unit, one column per data column."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Dataset"]

_EMPTY: Mapping = {}


@dataclass(frozen=True)
class Dataset:
    """Values of every unit (rows, in the scheme's unit order) and data column.

    ``values`` holds floats, NaN where blank, ``不适用`` or text; ``not_applicable``
    marks ``不适用``; ``texts`` keeps the original text of 定性 columns (whose
    ``values`` already hold the grade's fraction). ``rows``/``letters`` locate cells.
    """

    values: pd.DataFrame
    not_applicable: pd.DataFrame
    texts: Mapping[str, pd.Series] = field(default_factory=dict)
    sheet: str = "数据"
    rows: Mapping[str, int] = field(default_factory=dict)
    letters: Mapping[str, str] = field(default_factory=dict)

    def cell(self, unit: str, column: str) -> str:
        """``D7`` for unit ``unit`` and column ``column``; empty if unknown."""
        row, letter = self.rows.get(unit), self.letters.get(column)
        return f"{letter}{row}" if row and letter else ""

    def with_column(self, code: str, values: np.ndarray, na: np.ndarray) -> Dataset:
        """A copy with one more (derived) column."""
        v = self.values.copy()
        n = self.not_applicable.copy()
        v[code] = values
        n[code] = na
        return Dataset(v, n, self.texts, self.sheet, self.rows, self.letters)
