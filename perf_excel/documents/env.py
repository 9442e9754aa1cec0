"""The one Jinja environment every template is rendered in, and the project's filters.

The environment is sandboxed (a template is user input: ``{{ ''.__class__.__mro__ }}``
must not reach Python internals), escapes by default (``R&D中心<试点>`` must stay text,
not break the document's XML) and fails on undefined names instead of printing nothing.

Jinja's own sandbox only hides ``_`` names: every public attribute of any object a template
can reach is open to it (an object of the program in the context, and its public methods, are
a way out). :class:`TemplateSandbox` therefore allows attributes by type, from a short list:
the read-only methods of text, dicts, lists and tuples, and Jinja's own loop, namespace and
cycler objects. Everything else — numbers, pictures (:class:`~.parts.Picture`), any other
object — has no attributes for a template, and only Jinja's own callables, the globals and
those methods may be called.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from jinja2 import StrictUndefined
from jinja2.runtime import BlockReference, LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup

from perf_excel.core.numbers import fmt2, fmt_num

__all__ = ["FILTERS", "TemplateSandbox", "cn_date", "cn_num", "make_env", "pct", "pts", "rank_cn", "signed"]

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


_READ_STR = frozenset(
    {
        "capitalize", "casefold", "count", "endswith", "find", "format", "index", "isalnum", "isalpha",
        "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip",
        "partition", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith",
        "strip", "swapcase", "title", "upper",
    }
)  # fmt: skip
#: Attributes a template may read, by the exact type of the object. Text methods that build text
#: of a size the template chooses (center, ljust, zfill, replace, join, expandtabs…) are left out:
#: the filters of the same name are bounded (limits.py). ``list.append`` stays, for the common
#: ``{% set _ = names.append(x) %}``: a context is built for one document, so it changes no other.
_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: _READ_STR,
    Markup: _READ_STR | {"striptags", "unescape"},
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"append", "count", "index"}),
    tuple: frozenset({"count", "index"}),
    LoopContext: frozenset(
        {"changed", "cycle", "depth", "depth0", "first", "index", "index0", "last", "length", "nextitem"}
        | {"previtem", "revindex", "revindex0"}
    ),
    Cycler: frozenset({"current", "next", "reset"}),
}
#: Objects a template may call besides the globals: its own macros and blocks, ``loop(…)`` of a
#: recursive loop, a joiner.
_CALLABLE_TYPES = (Macro, BlockReference, LoopContext, Joiner)


class TemplateSandbox(SandboxedEnvironment):
    """The sandbox with attributes allowed by type (see the module's docstring)."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        if type(obj) is Namespace:  # ``{% set ns.x = … %}`` values, whatever the template stored
            return True
        allowed = _ATTRIBUTES.get(type(obj))
        return allowed is not None and attr in allowed

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            wrapped._sandboxed_format = True  # the sandbox's own str.format (see is_safe_callable)
        return wrapped

    def is_safe_callable(self, obj: Any) -> bool:
        if not super().is_safe_callable(obj):
            return False
        if isinstance(obj, _CALLABLE_TYPES) or any(obj is g for g in self.globals.values()):
            return True
        if getattr(obj, "_sandboxed_format", False):
            return True
        # A method reached through an allowed attribute: bound to an object of an allowed type.
        owner = getattr(obj, "__self__", None)
        allowed = _ATTRIBUTES.get(type(owner))
        return allowed is not None and getattr(obj, "__name__", "") in allowed


def make_env() -> SandboxedEnvironment:
    """A new sandboxed, autoescaping, strict environment with the project's filters."""
    env = TemplateSandbox(autoescape=True, undefined=StrictUndefined)
    env.filters.update(FILTERS)
    from perf_excel.documents.limits import install_limits  # a hostile template cannot hang the machine

    return install_limits(env)
