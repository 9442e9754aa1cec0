"""The one Jinja environment every template is rendered in, and the project's filters.

The environment is sandboxed (a template is user input: ``{{ ''.__class__.__mro__ }}``
must not reach Python internals), escapes by default (``R&D中心<试点>`` must stay text,
not break the document's XML) and fails on undefined names instead of printing nothing.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from ..numbers import fmt2, fmt_num

__all__ = ["FILTERS", "cn_date", "cn_num", "make_env", "pct", "pts", "rank_cn", "signed"]

_DIGITS = "零一二三四五六七八九"
_ISO = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$")


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def cn_date(value: object) -> str:
    """A date written the GB/T 9704-2012 way, with Arabic numerals: ``2026年1月20日``.

    Accepts a date, a datetime or text such as ``2026-01-20``; other text is returned as is.
    """
    if _is_missing(value) or value == "":
        return ""
    if isinstance(value, (date, datetime)):
        return f"{value.year}年{value.month}月{value.day}日"
    m = _ISO.match(str(value))
    if not m:
        return str(value)
    y, mo, d = (int(g) for g in m.groups())
    return f"{y}年{mo}月{d}日"


def cn_num(value: object) -> str:
    """A whole number 0–9999 in Chinese numerals, as heading numbers use them: 1 → 一, 12 → 十二, 21 → 二十一."""
    n = int(value)  # type: ignore[arg-type]
    if n < 0 or n > 9999:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    out = ""
    zero = False
    for unit_value, unit_name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit:
            if zero and out:
                out += "零"
            out += _DIGITS[digit] + unit_name
            zero = False
        elif out:
            zero = True
    return out


def pts(value: object, empty: str = "—") -> str:
    """Points with two decimals, rounded half up (``9.5`` → ``9.50``); ``—`` where there is no value."""
    if _is_missing(value) or value == "":
        return empty
    return fmt2(float(value))  # type: ignore[arg-type]


def signed(value: object, empty: str = "—") -> str:
    """Points with a sign, for bonus/penalty and differences: ``+1.00``, ``−1.50``, ``0.00``."""
    if _is_missing(value) or value == "":
        return empty
    v = float(value)  # type: ignore[arg-type]
    text = fmt2(abs(v))
    if text == "0.00":
        return "0.00"
    return ("+" if v > 0 else "−") + text


def rank_cn(rank: object, tied: bool = False, short: bool = False) -> str:
    """A rank, shared ranks marked 并列: ``第3名``, ``并列第3名``; short form ``3``, ``3（并列）``."""
    if _is_missing(rank) or rank == "":
        return "—"
    r = int(rank)  # type: ignore[arg-type]
    if short:
        return f"{r}（并列）" if tied else str(r)
    return f"并列第{r}名" if tied else f"第{r}名"


def pct(value: object, digits: int = 0) -> str:
    """A fraction as a percentage: ``0.2`` → ``20%``."""
    if _is_missing(value) or value == "":
        return "—"
    return f"{float(value) * 100:.{digits}f}%"  # type: ignore[arg-type]


def num(value: object) -> str:
    """A parameter as a clerk typed it: ``95``, ``9.5``."""
    if _is_missing(value) or value == "":
        return "—"
    return fmt_num(float(value))  # type: ignore[arg-type]


FILTERS = {
    "cn_date": cn_date,
    "cn_num": cn_num,
    "pts": pts,
    "signed": signed,
    "rank_cn": rank_cn,
    "pct": pct,
    "num": num,
}


def make_env() -> SandboxedEnvironment:
    """A new sandboxed, autoescaping, strict environment with the project's filters."""
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters.update(FILTERS)
    from .limits import install_limits  # time, size and memory limits on every render (issue 10)

    return install_limits(env)
