"""Jinja's errors in the words of a template's author: the template, the tag and the variable.

docxtpl puts each paragraph of a part on its own line before Jinja compiles it, so the line
number of an error leads back to the paragraph and its tag. An error caused by the data (a
control character no Word document can carry) blames the data, not the template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError

from perf_excel.core.errors import InputError, TemplateError
from perf_excel.xlsx.sanitize import XML_ILLEGAL

__all__ = ["TEMPLATE_FAILURES", "data_error", "error_translator", "translate_error"]

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _paragraph_text(src: str, lineno: int | None) -> str:
    """The text of the line (docxtpl puts each paragraph on its own line) a Jinja error points at."""
    if not lineno:
        return ""
    lines = src.splitlines()
    if not 0 < lineno <= len(lines):
        return ""
    return re.sub(r"<[^>]+>", "", lines[lineno - 1]).strip()


def _template_lineno(exc: BaseException) -> int | None:
    lineno = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def _pick_tag(text: str, word: str) -> str:
    tags = _TAG.findall(text)
    for tag in tags:
        if word and re.search(rf"(?<![\w.]){re.escape(word)}(?!\w)", tag):
            return tag
    for tag in tags:
        if word and word in tag:
            return tag
    return tags[0] if len(tags) == 1 else ""


def translate_error(name: str, exc: Exception, src: str = "", where: str = "") -> TemplateError:
    """A Jinja error as a :class:`TemplateError` naming the template, the tag and the variable."""
    lineno = _template_lineno(exc)
    text = _paragraph_text(src, lineno)
    msg = str(getattr(exc, "message", None) or exc)
    place = f"（{where}）" if where else ""
    if isinstance(exc, SecurityError):
        m = re.search(r"attribute '([^']+)'", msg)
        attr = m.group(1) if m else msg
        tag = _pick_tag(text, attr)
        detail = f"，标签 “{tag}”" if tag else ""
        return TemplateError(f"{name}{place}：模板不允许访问属性 “{attr}”（沙箱已阻止{detail}）")
    if isinstance(exc, jinja2.UndefinedError):
        m = re.match(r"'([^']+)' is undefined", msg)
        if m:
            var = m.group(1)
            tag = _pick_tag(text, var)
            return TemplateError(f"{name}{place}：未定义的变量 “{var}”" + (f"（标签 “{tag}”）" if tag else ""))
        m = re.search(r"has no attribute '([^']+)'", msg) or re.search(r"no element for '?([^']+)'?", msg)
        if m:
            attr = m.group(1)
            tag = _pick_tag(text, attr)
            return TemplateError(f"{name}{place}：数据中没有 “{attr}”" + (f"（标签 “{tag}”）" if tag else ""))
        return TemplateError(f"{name}{place}：未定义的值（{msg}）")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where_text = f"，所在段落 “{text[:60]}”" if text else ""
        return TemplateError(f"{name}{place}：模板语法错误：{msg}{where_text}")
    if isinstance(exc, (RecursionError, SyntaxError, MemoryError)):
        # Jinja's parser and compiler recurse once per level of nesting; Python refuses deep blocks.
        return TemplateError(
            f"{name}{place}：模板嵌套过深或过于复杂（标签、括号或过滤器层层相套），无法处理；请简化模板后重试"
        )
    if isinstance(exc, jinja2.TemplateError):
        tag = _pick_tag(text, "")
        return TemplateError(f"{name}{place}：模板错误：{msg}" + (f"（标签 “{tag}”）" if tag else ""))
    return TemplateError(f"{name}{place}：渲染失败：{type(exc).__name__}: {msg}")


def error_translator(name: str) -> Callable:
    """Decorator-free helper: run ``fn`` and translate what Jinja raises."""

    def run(fn: Callable[[], Any], src: str = "", where: str = "") -> Any:
        try:
            return fn()
        except TemplateError:
            raise
        except TEMPLATE_FAILURES as exc:
            raise translate_error(name, exc, src, where) from None

    return run


#: What compiling or rendering a template may raise besides :class:`TemplateError`.
TEMPLATE_FAILURES = (
    jinja2.TemplateError,
    TypeError,
    ValueError,
    AttributeError,
    KeyError,
    RecursionError,
    SyntaxError,
    MemoryError,
)


def data_error(name: str, context: Any, where: str = "") -> InputError | None:
    """The error to show when rendering failed because of the data, not the template: a text of
    the context holding a character no Word document can carry (contexts built by
    :mod:`.context` never do; one built elsewhere may)."""
    stack = [context]
    seen = 0
    while stack and seen < 10_000_000:
        item = stack.pop()
        seen += 1
        if isinstance(item, str):
            m = XML_ILLEGAL.search(item)
            if m:
                shown = XML_ILLEGAL.sub("", item)[:60]
                place = f"{name}{where}" if where else name
                return InputError(
                    f"数据中的文字 “{shown}” 含有 Word 文档不能容纳的控制字符 U+{ord(m.group(0)):04X}，"
                    f"无法生成文档（{place}）；请在工作簿中删除该字符后重试"
                )
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return None
