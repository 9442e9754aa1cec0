"""Number reading and rounding rules shared by every part of the program.

Reading is tolerant where a clerk would expect it (``" 95 "``, full-width ``９５``,
``95%``, ``1,200``) and strict where a guess would be wrong (``48,7`` is an error,
not 487 nor 48.7). Rounding is half up, as Excel's ROUND and the Chinese
standard GB/T 8170 (四舍五入) expect, not Python's banker's rounding.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

__all__ = [
    "fmt2",
    "fmt_num",
    "MAX_NUMBER",
    "cell_text",
    "is_blank",
    "parse_number",
    "round_half_up",
    "round_half_up_array",
    "too_large",
]

_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９．，－＋％　",
    "0123456789.,-+% ",
)
#: Larger magnitudes are not numbers of an assessment (beyond 2**53 floats lose whole units) and
#: sums of them overflow to inf (分值 1e308 gave a total of inf).
MAX_NUMBER = 1e15
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def is_blank(value: object) -> bool:
    """True for None, NaN and text made only of spaces."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def cell_text(value: object) -> str:
    """A cell value as the text a clerk typed: 101.0 → ``101``, a date → ``2025-03-01``."""
    if type(value) is str:  # the common case first: codes and names of many thousand units
        return value.strip()
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_number(value: object) -> float | None:
    """Read a cell value as a number, or return None if it is not one.

    Blank cells must be tested with :func:`is_blank` first; they are not numbers.
    Booleans, dates and Excel error values (``#DIV/0!``) are not numbers, nor is a
    magnitude of :data:`MAX_NUMBER` or more, typed as text or stored as a number alike
    (:func:`too_large` tells that case apart for the message).
    """
    number = _read_number(value)
    if number is None or not math.isfinite(number) or abs(number) >= MAX_NUMBER:
        return None
    return number


def too_large(value: object) -> bool:
    """True for a value that is written as a number but whose magnitude is :data:`MAX_NUMBER`
    or more: a stored ``1e308`` and the text ``"1e308"`` or ``"1e400"`` alike. NaN and
    infinity stored as numbers are not numbers at all (False)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return abs(int(value)) >= MAX_NUMBER
    number = _read_number(value)
    if number is None or math.isnan(number):
        return False
    if not isinstance(value, str) and math.isinf(number):
        return False
    return abs(number) >= MAX_NUMBER


def _read_number(value: object) -> float | None:
    """The number a cell value is written as, without the bound (may be inf or NaN)."""
    if isinstance(value, bool) or isinstance(value, (date, datetime)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            return float(value)
        except OverflowError:  # a Python int beyond any float
            return math.inf
    if not isinstance(value, str):
        return None
    text = value.translate(_FULL_WIDTH).strip().replace(" ", "")
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if "," in text:
        # A comma is a thousands separator only in whole groups of three digits;
        # "48,7" may be a decimal comma or a typo, and guessing either is wrong.
        if not _THOUSANDS.match(text):
            return None
        text = text.replace(",", "")
    if not _PLAIN.match(text):
        return None
    number = float(text)
    return number / 100 if percent else number


def round_half_up(value: float, digits: int = 2) -> float:
    """Round half up (away from zero at .5), immune to binary noise such as 89.99499999."""
    if not math.isfinite(value) or abs(value) >= 1e15:
        # Beyond 1e15 a float has no second decimal to round, and Decimal.quantize
        # would overflow its 28 digits (a value of 1e300 typed into 数据).
        return value
    if 0 <= digits <= 3:
        # Fast path, the same result without Decimal (letters format thousands of scores). Below
        # 1e8 the float product is within 1e-7 of the product of repr's decimal, and the 10-place
        # rounding below moves that by at most 5e-8: away from a tie (more than 1e-6) both round
        # to the same integer n, and n / 10**digits is the correctly rounded float of that
        # decimal, which is what float(Decimal) gives. Near a tie: Decimal.
        scale = 10.0**digits
        scaled = abs(value) * scale
        if scaled < 1e8 and abs(scaled - math.floor(scaled) - 0.5) > 1e-6:
            return math.copysign(math.floor(scaled + 0.5) / scale, value)
    # repr() gives the shortest decimal that round-trips; rounding it to 10 places
    # first removes noise from sums like 0.1 + 0.2 before the half-up step.
    exact = Decimal(repr(value)).quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP)
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def round_half_up_array(values: np.ndarray, digits: int = 2) -> np.ndarray:
    """Vectorised :func:`round_half_up` for float arrays (NaN stays NaN)."""
    scale = 10.0**digits
    scaled = np.round(np.abs(values) * scale, 6)
    return np.sign(values) * np.floor(scaled + 0.5) / scale


def fmt_num(value: float, max_digits: int = 4) -> str:
    """A parameter or value as a clerk typed it: ``95``, ``9.5``, ``1.725``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "空"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.{max_digits}f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def fmt2(value: float) -> str:
    """A score with two decimals, rounded half up: ``9.50``."""
    return f"{round_half_up(float(value), 2):.2f}"
