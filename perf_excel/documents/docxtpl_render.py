"""Rendering a .docx template the plain docxtpl way: a new :class:`docxtpl.DocxTemplate` per document.

What docxtpl's users do, in the project's sandbox (:mod:`.env`). Used for a user's bulletin or
yearbook template (docxtpl's ``fix_tables`` repairs tables a ``{%tc%}`` loop widened) and as the
reference :class:`~.prepared.PreparedTemplate` is compared with.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from perf_excel.core.errors import TemplateError
from perf_excel.documents.env import make_env
from perf_excel.documents.links import check_links
from perf_excel.documents.output import write_bytes
from perf_excel.documents.parts import CORE_PROPERTIES, PICTURES, Picture, fit_tables, plain_property
from perf_excel.documents.template_errors import TEMPLATE_FAILURES, data_error, translate_error
from perf_excel.documents.templates import open_docx

__all__ = ["SafeDocxTemplate", "image_factory_for", "render_docx"]


class SafeDocxTemplate(DocxTemplate):
    """docxtpl with one fix: core properties are plain text, not XML, so autoescaped output is
    unescaped before python-docx stores it (docxtpl would store ``R&amp;D`` for ``R&D``)."""

    def render_properties(self, context: dict[str, Any], jinja_env: jinja2.Environment | None = None) -> None:
        env = jinja_env or make_env()
        for prop in CORE_PROPERTIES:
            initial = getattr(self.docx.core_properties, prop)
            setattr(self.docx.core_properties, prop, plain_property(env.from_string(initial).render(context)))


def render_docx(
    name: str,
    data: bytes,
    context: Mapping[str, Any] | Callable[[DocxTemplate], Mapping[str, Any]],
    out: str | Path | io.BytesIO,
    env: SandboxedEnvironment | None = None,
) -> None:
    """Render ``data`` (a .docx template called ``name``) with a new DocxTemplate and save it to ``out``.

    ``context`` may be a function of the template, for contexts holding :class:`InlineImage`.
    """
    env = env or make_env()
    tpl = SafeDocxTemplate(io.BytesIO(data))
    tpl.docx = open_docx(name, data)
    ctx = dict(context(tpl) if callable(context) else context)

    def insert(picture: Picture) -> str:
        return InlineImage(tpl, io.BytesIO(picture._png), width=Mm(picture._width_mm))._insert_image()

    token = PICTURES.set(insert)
    try:
        tpl.render(ctx, jinja_env=env, autoescape=True)
    except TemplateError:
        raise
    except etree.XMLSyntaxError as exc:
        raise data_error(name, ctx) or TemplateError(f"{name}：渲染结果不是有效的 XML（{exc}）") from None
    except TEMPLATE_FAILURES as exc:
        if isinstance(exc, ValueError) and (problem := data_error(name, ctx)):
            raise problem from None  # lxml refuses a control character in a document property
        src = ""
        if getattr(exc, "lineno", None) or exc.__traceback__:
            try:
                src = tpl.patch_xml(tpl.get_xml())
                src = re.sub(r"<w:p([ >])", r"\n<w:p\1", src)
            except Exception:  # the source is only for the message
                src = ""
        raise translate_error(name, exc, src) from None
    finally:
        PICTURES.reset(token)
    fit_tables(tpl.docx.element.body)
    buf = io.BytesIO()
    tpl.save(buf)
    blob = buf.getvalue()
    # What the template's Jinja code produced is checked like the template itself: a field code
    # or a linked picture can be assembled by a tag (``{{ 'INCLUDE' ~ 'PICTURE' }}``).
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        check_links(name, {i.filename: z.read(i) for i in z.infolist()}, rendered=True)
    if isinstance(out, io.BytesIO):
        out.write(blob)
    else:
        write_bytes(Path(out), blob)


def image_factory_for(tpl: DocxTemplate) -> Callable[[bytes, float], Picture]:
    """``image(png, width_mm)`` for contexts rendered by :func:`render_docx` (a :class:`Picture`:
    the same for every engine; ``tpl`` is not needed any more and is kept for callers)."""
    return Picture
