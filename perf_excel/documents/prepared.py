"""The prepared template: a .docx opened, pre-processed and compiled once, then rendered many times.

Two ways to the same document:

* :func:`~.docxtpl_render.render_docx` — a new :class:`docxtpl.DocxTemplate` per document (what docxtpl's users do);
* :class:`PreparedTemplate` — opens and pre-processes the template once (docxtpl's own ``patch_xml``),
  compiles its Jinja templates once, and per document only renders them and writes the zip. The XML
  it writes is the XML docxtpl writes (tests compare them part by part after canonicalisation).

Both render in the one sandboxed environment of :mod:`.env` and translate Jinja's errors into
:class:`~perf_excel.core.errors.TemplateError` naming the template, the tag and the variable.
"""

from __future__ import annotations

import hashlib
import io
import pyexpat
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from docx.image.image import Image
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import serialize_part_xml
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.shared import Mm
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from perf_excel.core.errors import TemplateError
from perf_excel.documents.archive import ZipEntry
from perf_excel.documents.env import make_env
from perf_excel.documents.links import part_link_problem
from perf_excel.documents.output import write_bytes
from perf_excel.documents.parts import (
    CORE_PROPERTIES,
    FLEX,
    PICTURES,
    Picture,
    add_image_rels,
    add_png_default,
    fit_tables,
    join_sections,
    plain_property,
    renumber_drawings,
)
from perf_excel.documents.template_errors import data_error, error_translator
from perf_excel.documents.templates import open_docx
from perf_excel.xlsx.safety import outside_links

__all__ = ["PreparedTemplate"]

_HEADER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
_FOOTER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"


class _RenderState:
    def __init__(self) -> None:
        self.images: dict[str, tuple[str, str, bytes]] = {}  # sha1 -> (rId, partname, blob)


class PreparedTemplate:
    """A .docx template opened, pre-processed and compiled once, rendered many times.

    ``render(context)`` returns the bytes of a .docx whose parts are, after canonicalisation,
    the parts a new ``DocxTemplate(...).render(context, env, autoescape=True)`` would save.
    One instance renders one document at a time (use one per thread).
    """

    def __init__(self, data: bytes, name: str = "template.docx", env: SandboxedEnvironment | None = None) -> None:
        self.name = name
        self.env = env or make_env()
        doc = open_docx(name, data)
        helper = DocxTemplate(io.BytesIO(data))  # for its patch_xml only
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self._members = [(info.filename, z.read(info)) for info in z.infolist()]
        part = doc.part
        self._doc_name = part.partname.lstrip("/")
        self._rels_name = str(part.partname.baseURI).lstrip("/") + "/_rels/" + part.partname.filename + ".rels"
        self._run = error_translator(name)

        # Body: document.xml split around <w:body>, the body compiled.
        root = doc.element
        body_src = etree.tostring(root.body, encoding="unicode")
        self._body_src = re.sub(r"<w:p([ >])", r"\n<w:p\1", helper.patch_xml(body_src))
        self._body_tpl = self._compile(self._body_src, "正文")
        self._body_escaped = "safe" not in self._body_src and "autoescape" not in self._body_src
        shell = etree.fromstring(serialize_part_xml(root))
        shell_body = shell.find(qn("w:body"))
        for el in list(shell_body):
            shell_body.remove(el)
        shell_body.text = "@@BODY@@"
        before, after = serialize_part_xml(shell).split(b"@@BODY@@")
        self._doc_prefix = before.rsplit(b"<w:body", 1)[0]
        self._doc_suffix = after.split(b"</w:body>", 1)[1]

        # Headers and footers.
        self._parts: list[tuple[str, str, Any]] = []
        for rel in part.rels.values():
            if rel.reltype in (_HEADER, _FOOTER) and rel.target_part.blob:
                src = etree.tostring(parse_xml(rel.target_part.blob), encoding="unicode")
                src = re.sub(r"<w:p([ >])", r"\n<w:p\1", helper.patch_xml(src))
                where = "页眉" if rel.reltype == _HEADER else "页脚"
                self._parts.append((rel.target_part.partname.lstrip("/"), src, self._compile(src, where)))

        # Core properties.
        self._core_xml = dict(self._members).get("docProps/core.xml")
        self._core_tpls = {}
        self._core_constant: dict[str, str] = {}
        for prop in CORE_PROPERTIES:
            initial = getattr(doc.core_properties, prop)
            self._core_tpls[prop] = (initial, self._compile(initial, "文档属性"))

        # What python-docx would choose for pictures: first free rIds, image1.png..., next shape id.
        self._rids = set(part.rels.keys())
        self._media = {n for n, _ in self._members if n.startswith("word/media/")}
        ids = [int(v) for v in root.xpath("//@id") if v.isdigit()]
        self._next_shape_id = max(ids) + 1 if ids else 1
        # Hyperlinks to outside the package, by part: a rendered part may use them only in a hyperlink.
        try:
            self._links = outside_links(dict(self._members))
        except ValueError as exc:
            raise TemplateError(f"{name}：{exc}") from None
        self._state: _RenderState | None = None
        self._static: dict[str, ZipEntry] | None = None
        self._constant: dict[str, bytes] = {}
        self._constant_entries: dict[str, ZipEntry] = {}
        self._recent: dict[tuple[str, bytes], ZipEntry] = {}

    # -- compile and sources
    def _compile(self, src: str, where: str):
        return self._run(lambda: self.env.from_string(src), src, where)

    def sources(self) -> list[str]:
        """The pre-processed Jinja sources of every rendered part (for variable listing)."""
        return [self._body_src, *(src for _, src, _ in self._parts), *(t[0] for t in self._core_tpls.values())]

    # -- images
    def image(self, png: bytes, width_mm: float) -> Picture:
        """An inline picture for a context (any template's: a :class:`Picture` belongs to none)."""
        return Picture(png, width_mm)

    def _insert_image(self, img: Picture) -> str:
        state = self._state
        if state is None:
            raise TemplateError(f"{self.name}：图片只能在渲染时插入")
        png = img._png
        sha1 = hashlib.sha1(png).hexdigest()
        if sha1 not in state.images:
            used_rids = self._rids | {v[0] for v in state.images.values()}
            used_media = self._media | {v[1] for v in state.images.values()}
            state.images[sha1] = (*_free_names(used_rids, used_media), png)
        rid = state.images[sha1][0]
        image = Image.from_blob(png)
        cx, cy = image.scaled_dimensions(Mm(img._width_mm), None)
        inline = CT_Inline.new_pic_inline(self._next_shape_id, rid, image.filename, cx, cy)
        return f'</w:t></w:r><w:r><w:drawing>{inline.xml}</w:drawing></w:r><w:r><w:t xml:space="preserve">'

    # -- rendering
    def _render_text(self, tpl, src: str, context: Mapping[str, Any], where: str, part: str) -> str:
        xml = self._run(lambda: tpl.render(context), src, where)
        # What Jinja code produced is checked like the template itself: a tag can assemble a field
        # code or a linked picture (``{{ 'INCLUDE' ~ 'PICTURE' }}``) that the template's text hides.
        problem = part_link_problem(part, xml, self._links.get(part))
        if problem:
            raise TemplateError(f"{self.name}（{where}）：渲染结果中，{problem}")
        # Undo the newlines put before paragraphs at preparation (the same as re.sub(r"\n<w:p([ >])", r"<w:p\1"),
        # without a template expansion per paragraph).
        xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        # One-character tests first (memchr speed): without "_" none of the four escapes can occur.
        if "_" in xml:
            xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        # docxtpl's resolve_listing turns tabs, newlines, \a and \f inside <w:t> into runs and breaks;
        # where no text holds one (the common case) it changes nothing and its regexes are skipped.
        if ("\t" in xml or "\n" in xml or "\a" in xml or "\f" in xml) and _LISTING.search(xml):
            xml = DocxTemplate.resolve_listing(None, xml)  # type: ignore[arg-type]
        return xml

    def _parse(self, xml: str, where: str, context: Mapping[str, Any], parser=None) -> etree._Element:
        try:
            return etree.fromstring(xml.encode("utf-8", "surrogatepass"), parser=parser)
        except etree.XMLSyntaxError as exc:
            problem = data_error(self.name, context, where)
            raise problem or TemplateError(f"{self.name}（{where}）：渲染结果不是有效的 XML（{exc}）") from None

    def render_body(self, context: Mapping[str, Any]) -> etree._Element:
        """The rendered ``<w:body>`` element (tables fitted, docPr ids renumbered as docxtpl does)."""
        xml = self._render_text(self._body_tpl, self._body_src, context, "正文", self._doc_name)
        return self._body_tree(xml, context)

    def _body_bytes(self, context: Mapping[str, Any]) -> bytes:
        """The rendered ``<w:body>`` as UTF-8 XML, parsed into a tree only when the tree must change.

        Without a ``docPr`` (a drawing whose id docxtpl renumbers) or a ``{%tc%}`` column to fit, the
        tree would be written back as it was parsed: the same XML after canonicalisation. The text is
        then only checked to be well-formed, by expat (no tree, about half of lxml's parse and none of
        its serialisation); whatever expat refuses goes through lxml, for lxml's own message.
        expat (without namespace processing, which costs as much as lxml) does not check that
        prefixes are declared: the template's own text was parsed when it was prepared, so only raw
        markup from a value could bring an undeclared one — hence the shortcut only when every value
        is escaped: no ``safe`` filter or ``autoescape`` block in the template (decided once) and a
        context of plain data (dicts, lists, text, numbers: no ``Markup``, no other objects).
        """
        xml = self._render_text(self._body_tpl, self._body_src, context, "正文", self._doc_name)
        if self._body_escaped and "docPr" not in xml and f'w:w="{FLEX}"' not in xml and _plain_data(context):
            data = xml.encode("utf-8", "surrogatepass")
            try:
                pyexpat.ParserCreate().Parse(data, True)
            except pyexpat.ExpatError:
                pass
            else:
                return data
        return etree.tostring(self._body_tree(xml, context))

    def _body_tree(self, xml: str, context: Mapping[str, Any]) -> etree._Element:
        tree = self._parse(xml, "正文", context, etree.XMLParser(huge_tree=True))
        if "docPr" in xml:
            renumber_drawings(tree)
        if f'w:w="{FLEX}"' in xml:
            fit_tables(tree)
        return tree

    def render(self, context: Mapping[str, Any]) -> bytes:
        """One document, as the bytes of a .docx file."""
        ctx = dict(context)
        body, images = self._with_pictures(lambda: self._body_bytes(ctx))
        return self._zip(self._parts_around(body, ctx), images)

    def _with_pictures(self, render: Callable[[], Any]) -> tuple[Any, list[tuple[str, str, bytes]]]:
        """What ``render()`` returns, and the pictures (rId, part, PNG) it drew."""
        self._state = _RenderState()
        token = PICTURES.set(self._insert_image)
        try:
            return render(), list(self._state.images.values())
        finally:
            self._state = None
            PICTURES.reset(token)

    def _parts_around(self, body: bytes, ctx: Mapping[str, Any]) -> dict[str, bytes]:
        """The rendered parts of a document whose body is ``body``: document.xml, headers, footers, core."""
        parts: dict[str, bytes] = {self._doc_name: self._doc_prefix + body + self._doc_suffix}
        for partname, src, tpl in self._parts:
            parts[partname] = self._render_part(partname, src, tpl, ctx)
        parts["docProps/core.xml"] = self._render_core(ctx)
        return parts

    def _render_part(self, partname: str, src: str, tpl, ctx: Mapping[str, Any]) -> bytes:
        """A header or footer; one without any Jinja tag renders the same every time and is cached."""
        cached = self._constant.get(partname)
        if cached is not None:
            return cached
        xml = self._render_text(tpl, src, ctx, "页眉页脚", partname)
        blob = serialize_part_xml(self._parse(xml, "页眉页脚", ctx, _OXML_PARSER))
        if not any(mark in src for mark in ("{{", "{%", "{#")):
            self._constant[partname] = blob
        return blob

    def _render_core(self, ctx: Mapping[str, Any]) -> bytes:
        el = parse_xml(self._core_xml)
        props = CoreProperties(el)
        for prop, (src, tpl) in self._core_tpls.items():
            value = self._core_constant.get(prop)
            if value is None:
                value = plain_property(self._run(lambda tpl=tpl: tpl.render(ctx), src, "文档属性"))
                if not any(mark in src for mark in ("{{", "{%", "{#")):
                    self._core_constant[prop] = value  # plain text renders to itself every time
            try:
                setattr(props, prop, value)
            except ValueError:  # lxml refuses a control character
                problem = data_error(self.name, ctx, "文档属性")
                raise problem or TemplateError(f"{self.name}（文档属性）：{prop} 含有 XML 不允许的字符") from None
        return serialize_part_xml(el)

    def _zip(self, parts: Mapping[str, bytes], images: list[tuple[str, str, bytes]]) -> bytes:
        if self._static is None:
            # Members no render changes are compressed once.
            dynamic = {self._doc_name, "docProps/core.xml", "[Content_Types].xml", self._rels_name}
            dynamic |= {name for name, _, _ in self._parts}
            self._static = {n: ZipEntry.make(n, b) for n, b in self._members if n not in dynamic}
        entries = []
        for name, blob in self._members:
            if name in self._static:
                entries.append(self._static[name])
                continue
            if name in self._constant and parts.get(name) is self._constant[name]:
                entry = self._constant_entries.get(name)
                if entry is None:
                    entry = self._constant_entries[name] = ZipEntry.make(name, parts[name])
                entries.append(entry)
                continue
            if name in parts:
                blob = parts[name]
            elif images and name == "[Content_Types].xml":
                blob = add_png_default(blob)
            elif images and name == self._rels_name:
                blob = add_image_rels(blob, images)
            entry = self._recent.get((name, blob))
            if entry is None:
                entry = ZipEntry.make(name, blob, level=1)
                if name != self._doc_name:
                    # [Content_Types].xml, rels and often core.xml repeat from one letter to the next.
                    if len(self._recent) > 64:
                        self._recent.clear()
                    self._recent[(name, blob)] = entry
            entries.append(entry)
        for _, partname, png in images:
            entries.append(ZipEntry.make(partname, png, compress=False))
        return ZipEntry.archive(entries)

    def render_to(self, context: Mapping[str, Any], path: str | Path) -> Path:
        return write_bytes(Path(path), self.render(context))

    # -- merging
    def render_merged(self, contexts: Iterable[Mapping[str, Any]]) -> bytes:
        """Several documents in one: each starts a new section whose page numbers restart at 1."""
        bodies: list[etree._Element] = []
        images: list[tuple[str, str, bytes]] = []
        used_rids = set(self._rids)
        used_media = set(self._media)
        first_ctx: dict | None = None
        for ctx in contexts:
            ctx = dict(ctx)
            first_ctx = first_ctx or ctx
            body, local = self._with_pictures(lambda ctx=ctx: self.render_body(ctx))
            images += _own_pictures(body, local, used_rids, used_media)
            bodies.append(body)
        if not bodies:
            raise TemplateError(f"{self.name}：没有可合并的文档")
        body = etree.tostring(join_sections(bodies))
        return self._zip(self._parts_around(body, first_ctx or {}), images)


def _free_names(used_rids: set[str], used_media: set[str]) -> tuple[str, str]:
    """The first relationship id and media part name not in use (what python-docx would choose)."""
    n = 1
    while f"rId{n}" in used_rids:
        n += 1
    k = 1
    while f"word/media/image{k}.png" in used_media:
        k += 1
    return f"rId{n}", f"word/media/image{k}.png"


_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"


def _own_pictures(
    body: etree._Element, pictures: list[tuple[str, str, bytes]], used_rids: set[str], used_media: set[str]
) -> list[tuple[str, str, bytes]]:
    """Give one document's pictures ids of their own in a merged package (``used_*`` grow)."""
    out = []
    for rid, _partname, png in pictures:
        new_rid, new_part = _free_names(used_rids, used_media)
        used_rids.add(new_rid)
        used_media.add(new_part)
        for blip in body.iter(_BLIP):
            if blip.get(_EMBED) == rid and not blip.get("_done"):
                blip.set(_EMBED, new_rid)
                blip.set("_done", "1")  # not renamed again by a later picture's old id
        out.append((new_rid, new_part, png))
    for blip in body.iter(_BLIP):
        blip.attrib.pop("_done", None)
    return out


_OXML_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def _plain_data(value: Any) -> bool:
    """Whether ``value`` is made only of dicts, lists, tuples, text, numbers and None (nothing a
    template could output unescaped)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in _PLAIN_TYPES:
            continue
        if kind is dict:
            stack.extend(item)  # keys can be output too
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        else:
            return False
    return True


_LISTING = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\n\a\f]")
