"""Text written into cells of any workbook we produce: one rule, used by every writer.

Text that comes from input data (unit names, codes, explanations, file names) is written as
text, never as a formula, a DDE payload or an error value, and without the characters XML 1.0
cannot carry (openpyxl refuses them mid-save, lxml refuses them in text, and a lone surrogate
cannot even be encoded as UTF-8).

How "as text" is achieved depends on the writer: a cell written as XML or through openpyxl
gets the string type (``inlineStr`` / ``data_type = "s"``), whatever the text starts with; a
value typed into a live Excel (the macros, through xlwings) gets Excel's own text prefix ``'``,
which Excel does not show.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "FORMULA_START",
    "XML_ILLEGAL",
    "cells_as_text",
    "clean_texts",
    "inline_string",
    "safe_cell",
    "sanitize",
    "xml_text",
]

#: Characters XML 1.0 cannot carry, even escaped.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Text starting with one of these would be a formula (or a DDE payload) if typed into Excel.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Text starting with this may be an error value (``#N/A``, ``#DIV/0!``) if typed into Excel.
ERROR_START = "#"
# XML parsers turn a literal CR into LF; as a character reference it survives.
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def sanitize(value: object, *, typed: bool = False) -> object:
    """``value`` made safe for a cell; anything but text is returned unchanged.

    Text loses the characters XML cannot carry. With ``typed`` (the value is typed into Excel
    rather than stored with the string type), text that Excel would read as a formula or an
    error value gets Excel's text prefix ``'``.
    """
    if not isinstance(value, str):
        return value
    text = XML_ILLEGAL.sub("", value) if XML_ILLEGAL.search(value) else value
    if typed and text.startswith((*FORMULA_START, ERROR_START)):
        return "'" + text
    return text


def xml_text(value: object) -> object:
    """``value`` with the characters XML cannot carry removed, if it is text (anything else unchanged)."""
    return sanitize(value)


def clean_texts(value: object) -> object:
    """A copy of ``value`` (dicts, lists and tuples walked) with every text made XML-safe."""
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, dict):
        return {k: clean_texts(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean_texts(v) for v in value)
    return value


def inline_string(ref: str, value: str, style: str = "") -> str:
    """A worksheet ``<c>`` holding ``value`` as an inline string: text, never a formula."""
    text = str(sanitize(value)).translate(_XML_ESCAPES)
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def safe_cell(ws: Worksheet, value: object, font: Font | None = None) -> WriteOnlyCell:
    """An openpyxl write-only cell; text is always text, even when it starts with ``=`` or ``#``."""
    from openpyxl.cell import WriteOnlyCell

    value = sanitize(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        # openpyxl makes "=…" a formula and "#N/A", "#DIV/0!"… an error value; a name is text.
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def cells_as_text(workbook) -> int:
    """Make every formula or error cell of an openpyxl ``workbook`` a text cell; returns how many.

    For workbooks whose every value comes from input data (the yearbook): openpyxl turns a
    string starting with ``=`` into a formula and ``#N/A`` into an error value, and a unit
    called ``=HYPERLINK(...)`` or ``#N/A`` must stay a name. Workbooks with formulas of our
    own must not be passed here.
    """
    changed = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type in ("f", "e"):
                    cell.data_type = "s"
                    changed += 1
    return changed
