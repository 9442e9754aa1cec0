"""Small helpers the method modules share."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from perf_excel.core.numbers import fmt_num

if TYPE_CHECKING:
    from perf_excel.core.model import Indicator

#: Numbers in explanations: 9.5, 12, 0.8 — no trailing zeros.
N = fmt_num
#: numpy's floating-point warnings off where inf and NaN are expected and handled.
ERR = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


def cap(ind: Indicator) -> float:
    return 1.0 if ind.cap is None else ind.cap


#: Between the clauses of a rule typed into one cell: ``>=95:1; >=90:0.8`` or one per line.
CLAUSES = re.compile(r"[;；\n]+")
