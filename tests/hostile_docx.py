"""Hostile Word templates (tests and scripts/make_malicious_corpus.py only).

Each shape is the built-in bulletin template with raw XML put into its parts: relationships
to outside files written in the ways XML allows (quotes, spaces, character references), a
picture using a hyperlink's relationship, linked pictures, field codes that include other
files (also split over runs, or assembled by a Jinja tag at render time), altChunk, sub-
documents, an attached template, a linked OLE object. Nothing is validated: every part is text.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["HYPERLINK", "NS", "RENDERED_SHAPES", "SHAPES", "add_rel", "base_parts", "docx_bytes", "in_body"]

ROOT = Path(__file__).resolve().parents[1]
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
IMAGE = f"{R}/image"
HYPERLINK = f"{R}/hyperlink"
NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    f'xmlns:r="{R}" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
)
#: Nothing listens there: a fetch would fail, but the test must never get that far.
URL = "http://127.0.0.1:9/perf_excel_fetched.png"


def base_parts(template: str = "bulletin.docx") -> dict[str, bytes]:
    data = (ROOT / "templates" / template).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def in_body(parts: Mapping[str, bytes], xml: str, part: str = "word/document.xml") -> dict[str, bytes]:
    """``parts`` with ``xml`` (a paragraph or more, namespaces declared on it) first in the body."""
    parts = dict(parts)
    doc = parts[part]
    tag = b"<w:body>" if part == "word/document.xml" else b">"
    if part == "word/document.xml":
        parts[part] = doc.replace(tag, tag + xml.encode("utf-8"), 1)
    else:  # a header or footer: after the root element's start tag
        start = doc.index(b"<w:hdr") if b"<w:hdr" in doc else doc.index(b"<w:ftr")
        end = doc.index(b">", start) + 1
        parts[part] = doc[:end] + xml.encode("utf-8") + doc[end:]
    return parts


def add_rel(parts: Mapping[str, bytes], rels: str, relationship: str) -> dict[str, bytes]:
    """``parts`` with a raw ``<Relationship …/>`` added to ``rels`` (created if missing)."""
    parts = dict(parts)
    xml = parts.get(
        rels,
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>',
    )
    parts[rels] = xml.replace(b"</Relationships>", relationship.encode("utf-8") + b"</Relationships>")
    return parts


def docx_bytes(parts: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _p(inner: str) -> str:
    return f"<w:p {NS}>{inner}</w:p>"


def _field(*pieces: str) -> str:
    runs = "".join(f'<w:r><w:instrText xml:space="preserve">{p}</w:instrText></w:r>' for p in pieces)
    return _p(f'<w:r><w:fldChar w:fldCharType="begin"/></w:r>{runs}<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def _blip(attrs: str) -> str:
    return _p(
        '<w:r><w:drawing><wp:inline><wp:extent cx="9525" cy="9525"/><wp:docPr id="900" name="p"/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="p"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip {attrs}/>'
        "</pic:blipFill><pic:spPr/></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    )


_DOC_RELS = "word/_rels/document.xml.rels"


def _header_external(parts: dict[str, bytes]) -> dict[str, bytes]:
    headers = [n for n in parts if n.startswith("word/header") and n.endswith(".xml")]
    rels = f"word/_rels/{headers[0].rsplit('/', 1)[1]}.rels" if headers else "word/_rels/header1.xml.rels"
    return add_rel(parts, rels, f'<Relationship Id="rIdEvil" Type="{IMAGE}" Target="{URL}" TargetMode="External"/>')


def _attached(parts: dict[str, bytes]) -> dict[str, bytes]:
    parts = dict(parts)
    settings = parts["word/settings.xml"]
    end = settings.index(b">", settings.index(b"<w:settings")) + 1
    parts["word/settings.xml"] = settings[:end] + b'<w:attachedTemplate r:id="rIdT"/>' + settings[end:]
    if b"xmlns:r=" not in settings[:end]:
        parts["word/settings.xml"] = parts["word/settings.xml"].replace(
            b"<w:settings ", f'<w:settings xmlns:r="{R}" '.encode(), 1
        )
    # An internal target: the relationship check alone would not see it.
    return add_rel(
        parts,
        "word/_rels/settings.xml.rels",
        f'<Relationship Id="rIdT" Type="{R}/attachedTemplate" Target="evil.dotx"/>',
    )


#: File name → (the parts from a template's parts, fragment of the refusal). Refused by the check of the template.
SHAPES: dict[str, tuple[Callable[[dict[str, bytes]], dict[str, bytes]], str]] = {
    "template_rel_single_quotes.docx": (
        lambda b: add_rel(
            b,
            _DOC_RELS,
            f"<Relationship Id='rIdEvil' Type='{IMAGE}' Target='file:///etc/passwd' TargetMode='External'/>",
        ),
        "引用了文件外部的内容（image → “file:///etc/passwd”）",
    ),
    "template_rel_spaces.docx": (
        lambda b: add_rel(
            b,
            _DOC_RELS,
            f'<Relationship Id = "rIdEvil" Type = "{IMAGE}" Target = "{URL}" TargetMode = "External" />',
        ),
        f"引用了文件外部的内容（image → “{URL}”）",
    ),
    "template_rel_charrefs.docx": (
        lambda b: add_rel(
            b,
            _DOC_RELS,
            f'<Relationship Id="rIdEvil" Type="{IMAGE}" Target="&#104;ttp://127.0.0.1:9/perf_excel_fetched.png"'
            ' TargetMode="&#69;xternal"/>',
        ),
        f"引用了文件外部的内容（image → “{URL}”）",
    ),
    "template_rel_uri_without_mode.docx": (
        lambda b: add_rel(b, _DOC_RELS, f'<Relationship Id="rIdEvil" Type="{IMAGE}" Target="{URL}"/>'),
        f"引用了文件外部的内容（image → “{URL}”）",
    ),
    "template_rel_in_header.docx": (
        lambda b: _header_external(b),
        "_rels/header",
    ),
    "template_rel_in_custom_xml.docx": (
        lambda b: add_rel(
            b,
            "customXml/_rels/item9.xml.rels",
            f'<Relationship Id="rId1" Type="{R}/customXmlProps" Target="//evil-host/share/x.xml"/>',
        ),
        "customXml/_rels/item9.xml.rels 引用了文件外部的内容",
    ),
    "template_hyperlink_as_picture.docx": (
        lambda b: in_body(
            add_rel(
                b,
                _DOC_RELS,
                f'<Relationship Id="rIdH" Type="{HYPERLINK}" Target="{URL}" TargetMode="External"/>',
            ),
            _blip('r:embed="rIdH"'),
        ),
        f"word/document.xml 中的 blip 使用了指向文件外部的链接（→ “{URL}”）",
    ),
    "template_linked_picture.docx": (
        lambda b: in_body(b, _blip('r:link="rId1"')),
        "word/document.xml 含有链接（而非嵌入）的图片或媒体",
    ),
    "template_vml_src.docx": (
        lambda b: in_body(
            b, _p('<w:r><w:pict><v:shape><v:imagedata src="file:///etc/passwd"/></v:shape></w:pict></w:r>')
        ),
        "含有指向其他文件的图片地址（“file:///etc/passwd”）",
    ),
    "template_includepicture_split.docx": (
        lambda b: in_body(b, _field("INCLUDEPIC", f'TURE "{URL}" \\d')),
        f'含有会读取其他文件的域代码 “INCLUDEPICTURE "{URL}" \\d”',
    ),
    "template_fldsimple_includetext.docx": (
        lambda b: in_body(b, _p('<w:fldSimple w:instr=" includetext &quot;/etc/passwd&quot; "/>')),
        '含有会读取其他文件的域代码 “includetext "/etc/passwd"”',
    ),
    "template_ddeauto.docx": (
        lambda b: in_body(b, _field('DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"')),
        "域代码 “DDEAUTO",
    ),
    "template_link_field.docx": (
        lambda b: in_body(b, _field('LINK Excel.Sheet.12 "/etc/passwd" "Sheet1!R1C1" \\a')),
        "域代码 “LINK Excel.Sheet.12",
    ),
    "template_nested_import.docx": (
        lambda b: in_body(b, _field('IF 1 = 1 "', "x", '" ', 'IMPORT "/etc/passwd"')),
        "域代码 “IF 1 = 1",
    ),
    # The field's name is the result of a nested field: { {QUOTE "INCLUDEPICTURE"} "…" }.
    "template_nested_quote_field.docx": (
        lambda b: in_body(
            b,
            _p(
                '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                '<w:r><w:instrText>QUOTE "INCLUDEPICTURE"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/>'
                '</w:r><w:r><w:t>INCLUDEPICTURE</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
                f'<w:r><w:instrText xml:space="preserve"> "{URL}"</w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
            ),
        ),
        f'域代码 “INCLUDEPICTURE "{URL}"”',
    ),
    "template_altchunk.docx": (
        lambda b: in_body(b, f'<w:altChunk {NS} r:id="rId1"/>'),
        "含有导入的外部文档片段（altChunk）",
    ),
    "template_subdoc.docx": (
        lambda b: in_body(b, _p('<w:subDoc r:id="rId1"/>')),
        "含有子文档（subDoc）",
    ),
    "template_attached_template.docx": (
        lambda b: _attached(b),
        "word/settings.xml 含有附加的模板",
    ),
    "template_ole_link.docx": (
        lambda b: in_body(
            b,
            _p(
                '<w:r><w:object><o:OLEObject Type="Link" ProgID="Excel.Sheet.12" ShapeID="_x0000_i1025"'
                ' r:id="rId1" UpdateMode="Always"/></w:object></w:r>'
            ),  # fmt: skip
        ),
        "含有链接的对象（OLE 链接）",
    ),
}

#: Shapes that pass the check of the template and are refused at render time: Jinja assembles them.
RENDERED_SHAPES: dict[str, tuple[Callable[[dict[str, bytes]], dict[str, bytes]], str]] = {
    "template_jinja_field.docx": (
        lambda b: in_body(b, _field("{{ 'INCLUDE' ~ 'PICTURE' }} " + f'"{URL}"')),
        "渲染结果中，word/document.xml 含有会读取其他文件的域代码 “INCLUDEPICTURE",
    ),
    "template_safe_field.docx": (
        lambda b: in_body(
            b,
            # \x3c and \x3e are < and > in a Jinja string: raw markup only at render time.
            _p(
                r"<w:r><w:t>{{ '\x3cw:r\x3e\x3cw:instrText\x3eINCLUDETEXT /etc/passwd\x3c/w:instrText\x3e\x3c/w:r\x3e'|safe }}"
                "</w:t></w:r>"
            ),  # fmt: skip
        ),
        "渲染结果中，word/document.xml 含有会读取其他文件的域代码 “INCLUDETEXT",
    ),
    "template_jinja_hyperlink_picture.docx": (
        lambda b: in_body(
            add_rel(
                b,
                _DOC_RELS,
                f'<Relationship Id="rIdH" Type="{HYPERLINK}" Target="{URL}" TargetMode="External"/>',
            ),
            _blip("r:embed=\"{{ 'rId' ~ 'H' }}\""),
        ),
        "渲染结果中，word/document.xml 中的 blip 使用了指向文件外部的链接",
    ),
}
