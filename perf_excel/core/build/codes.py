"""Look-alike codes: the rule that a code is written the way it reads.

Codes are compared exactly as typed; :func:`code_problem` says why a code with a full-width
letter, a compatibility character or an invisible character is refused, and
:func:`normalise_code` what it was meant to be.
"""

from __future__ import annotations

import re
import unicodedata

from perf_excel.core.errors import quote

#: Unicode categories that show nothing: control and format characters (zero-width space and
#: joiners, word joiner, BOM, soft hyphen, bidi marks, embeddings, overrides and isolates),
#: private-use, surrogate and unassigned code points, line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset(("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"))
#: Blank letters and marks of other categories: the combining grapheme joiner, Hangul fillers,
#: the Braille blank and the variation selectors.
_INVISIBLE_EXTRA = frozenset(
    "\u034f\u115f\u1160\u3164\uffa0\u2800"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
#: Full-width brackets and sentence punctuation belong to Chinese text and read as what they
#: are (``县（市）01``); NFKC would turn them into ASCII, so they are left as typed.
_CJK_PUNCTUATION = "（）［］｛｝：；，！？　"
_CJK_SPLIT = re.compile(f"([{re.escape(_CJK_PUNCTUATION)}])")


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _INVISIBLE_EXTRA


def normalise_code(text: str) -> str:
    """A code as it reads: invisible characters removed, NFKC (full-width letters and digits,
    compatibility forms → ASCII and unified ideographs), stripped; full-width CJK brackets and
    punctuation are kept."""
    visible = "".join(ch for ch in text if not _invisible(ch))
    parts = _CJK_SPLIT.split(visible)
    return "".join(p if p and p in _CJK_PUNCTUATION else unicodedata.normalize("NFKC", p) for p in parts).strip()


def code_problem(text: str) -> str | None:
    """Why ``text`` cannot be a code, as the rest of a message after the code's name; None if it can.

    The rule for codes (单位编码 and 指标编码 in 单位 and 指标, and every reference to them in
    数据, its header, 加减分, 否决 and 修正): codes are compared exactly as typed (stripped), so
    a code must be written the way it reads. A code that :func:`normalise_code` would change
    is an error naming the cell and the value as typed: a full-width ``Ｕ1``, a compatibility
    character (``①``, ``Ⅱ``, a CJK compatibility ideograph), a zero-width space or joiner,
    a bidi control or any other invisible character. Normalising silently instead would let
    a look-alike join where the clerk did not mean it, or fail to join where they did; both
    are a clerk's slip that only they can correct. Spaces at either end are stripped as
    always; full-width CJK brackets and punctuation (``（一）``) are not a look-alike.
    """
    if text.isascii() and text.isprintable():
        return None
    norm = normalise_code(text)
    if norm == text:
        return None
    hidden = dict.fromkeys(f"U+{ord(ch):04X}" for ch in text if _invisible(ch))
    changed = dict.fromkeys(
        ch
        for ch in text
        if not _invisible(ch) and ch not in _CJK_PUNCTUATION and unicodedata.normalize("NFKC", ch) != ch
    )
    details = []
    if hidden:
        details.append(f"不可见字符 {'、'.join(list(hidden)[:5])}")
    if changed:
        details.append(f"全角或兼容字符 {'、'.join(quote(ch) for ch in list(changed)[:5])}")
    detail = "、".join(details) or "不规范字符"
    shown = quote("".join(f"<U+{ord(ch):04X}>" if _invisible(ch) else ch for ch in text))
    if not norm:
        return f"{shown} 只含{detail}，请删除"
    return f"{shown} 含有{detail}，应改为 {quote(norm)}"
