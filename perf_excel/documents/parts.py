"""Pieces of a .docx both renderers share: the core properties rendered, the widths of
``{%tc for%}`` columns, pictures (the marker a context carries and the parts a picture needs),
drawing ids, and sections of merged documents."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree
from markupsafe import Markup

from perf_excel.core.errors import TemplateError

__all__ = [
    "CORE_PROPERTIES",
    "FLEX",
    "PICTURES",
    "Picture",
    "add_image_rels",
    "add_png_default",
    "fit_tables",
    "join_sections",
    "plain_property",
    "renumber_drawings",
]

#: Core properties docxtpl renders (the string ones python-docx can write back).
CORE_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
#: python-docx refuses a core property longer than this (a long 考核名称 in the title).
_CORE_MAX_CHARS = 255

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_WP_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
FLEX = "1"  # tcW of a column repeated by {%tc for%}; see fit_tables


def plain_property(rendered: str) -> str:
    """A rendered core property as plain text, cut to what python-docx stores."""
    return (Markup(rendered).unescape() if rendered else rendered)[:_CORE_MAX_CHARS]


def fit_tables(body: etree._Element) -> None:
    """Give the columns a ``{%tc for%}`` loop repeated (cells of width 1 twip) the width left over.

    The fixed columns keep their widths; the flexible ones share ``tblW`` minus the fixed widths
    equally; the grid is rebuilt from the first row. Tables without flexible cells are untouched.
    """
    w = f"{{{_W}}}"
    for tbl in body.iter(f"{w}tbl"):
        rows = tbl.findall(f"{w}tr")
        if not rows:
            continue
        flex_found = False
        tblw = tbl.find(f"{w}tblPr/{w}tblW")
        total = int(tblw.get(f"{w}w")) if tblw is not None and tblw.get(f"{w}type") == "dxa" else 8844
        first_widths: list[int] | None = None
        for tr in rows:
            cells = tr.findall(f"{w}tc")
            widths = []
            for tc in cells:
                tcw = tc.find(f"{w}tcPr/{w}tcW")
                widths.append(tcw.get(f"{w}w") if tcw is not None else None)
            flex = [i for i, v in enumerate(widths) if v == FLEX]
            if not flex:
                if first_widths is None:
                    first_widths = [int(v or 0) for v in widths]
                continue
            flex_found = True
            fixed = sum(int(v or 0) for i, v in enumerate(widths) if i not in flex)
            share, extra = divmod(max(total - fixed, 0), len(flex))
            new = [int(v or 0) for v in widths]
            for k, i in enumerate(flex):
                new[i] = share + (1 if k < extra else 0)
                cells[i].find(f"{w}tcPr/{w}tcW").set(f"{w}w", str(new[i]))
            if first_widths is None:
                first_widths = new
        if not flex_found or first_widths is None:
            continue
        grid = tbl.find(f"{w}tblGrid")
        for gc in list(grid):
            grid.remove(gc)
        for width in first_widths:
            etree.SubElement(grid, f"{w}gridCol", {f"{w}w": str(width)})


class Picture:
    """A picture in a template's context (the letter's chart): an opaque marker.

    It holds no reference to a template, an engine or anything else of the program, and has no
    public attribute (the sandbox refuses attributes on it anyway): a template can only output it.
    Where it is output, the engine rendering the document (:func:`render_docx` or
    :class:`PreparedTemplate`) draws it, through :data:`PICTURES`.
    """

    __slots__ = ("_png", "_width_mm")

    def __init__(self, png: bytes, width_mm: float) -> None:
        self._png, self._width_mm = bytes(png), float(width_mm)

    def __html__(self) -> str:
        insert = PICTURES.get()
        if insert is None:
            raise TemplateError("图片只能在渲染文档时插入")
        return insert(self)

    __str__ = __html__

    def __repr__(self) -> str:
        return "<图片>"


#: How the render in progress in this thread draws a :class:`Picture` (None: no render).
PICTURES: ContextVar[Callable[[Picture], str] | None] = ContextVar("perf_excel_pictures", default=None)


def renumber_drawings(body: etree._Element) -> None:
    """Number the drawings' ``docPr`` ids from 1001, as docxtpl does (ids must be unique in a document)."""
    ids = 1000
    for elt in body.iter(_WP_DOCPR):
        ids += 1
        elt.attrib["id"] = str(ids)


def join_sections(bodies: list[etree._Element]) -> etree._Element:
    """The bodies of several documents as one; each starts a new section whose page numbers restart at 1."""
    merged = bodies[0]
    w = f"{{{_W}}}"
    for i, body in enumerate(bodies):
        sect = body.find(f"{w}sectPr")
        if sect is not None:
            pg = sect.find(f"{w}pgNumType")
            if pg is None:
                pg = etree.SubElement(sect, f"{w}pgNumType")
                # schema order: pgNumType comes after pgMar and before cols
                cols = sect.find(f"{w}cols")
                if cols is not None:
                    cols.addprevious(pg)
            pg.set(f"{w}start", "1")
        # Every document but the last ends with a paragraph carrying its section properties.
        if sect is not None and i < len(bodies) - 1:
            body.remove(sect)
            p = etree.SubElement(body, f"{w}p")
            ppr = etree.SubElement(p, f"{w}pPr")
            ppr.append(sect)
        if i:
            for el in list(body):
                merged.append(el)
    renumber_drawings(merged)
    return merged


def add_png_default(blob: bytes) -> bytes:
    if b'Extension="png"' in blob:
        return blob
    root = etree.fromstring(blob)
    ns = root.nsmap[None]
    defaults = [el for el in root if el.tag == f"{{{ns}}}Default"]
    new = etree.Element(f"{{{ns}}}Default", Extension="png", ContentType="image/png")
    # python-docx writes the defaults sorted by extension
    after = [d for d in defaults if d.get("Extension") < "png"]
    if after:
        after[-1].addnext(new)
    else:
        root.insert(0, new)
    return etree.tostring(root, encoding="UTF-8", standalone=True)


def add_image_rels(blob: bytes, images: list[tuple[str, str, bytes]]) -> bytes:
    root = etree.fromstring(blob)
    ns = root.nsmap[None]
    for rid, partname, _ in images:
        etree.SubElement(
            root,
            f"{{{ns}}}Relationship",
            Id=rid,
            Type=RT.IMAGE,
            Target=partname.split("word/", 1)[1],
        )
    return etree.tostring(root, encoding="UTF-8", standalone=True)
