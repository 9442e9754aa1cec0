"""Word templates (and the documents rendered from them) that would make Office read another file.

A template arrives like a workbook, by e-mail or USB stick. Besides the package limits every
package obeys (:func:`perf_excel.xlsx.safety.check_package`), a Word template must not link to
outside the package: Word and LibreOffice follow such links when they open or convert the
document. Only hyperlinks may point outside (:func:`perf_excel.xlsx.safety.outside_links`); every
XML part is read for linked pictures, VML addresses, linked OLE objects, fields that include or
link a file, and altChunk, subDoc, attachedTemplate, frameset and objectLink elements
(:func:`part_link_problem`). What a template's Jinja code produced is checked the same way.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping

from lxml import etree

from perf_excel.core.errors import InputError, TemplateError
from perf_excel.xlsx.safety import REL_NAMESPACES, check_package, outside_links

__all__ = ["LinkError", "check_links", "check_template", "part_link_problem"]


def check_template(name: str, data: bytes) -> None:
    """Refuse (:class:`TemplateError`) a Word template that breaks a package limit or would make
    LibreOffice or Word read another file: a relationship to outside the package other than a
    hyperlink, a picture or object linked instead of embedded, a field that includes or links
    another file, an altChunk, a sub-document, an attached template (see :func:`part_link_problem`)."""
    try:
        check_package(data, name)
    except InputError as exc:
        raise TemplateError(exc.message) from None
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # sizes checked above
        members = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    check_links(name, members)


_OFFICE_NS = "urn:schemas-microsoft-com:office:office"
#: Elements that may use a hyperlink relationship (a text hyperlink, a hyperlink on a drawing).
_HYPERLINK_ELEMENTS = frozenset({"hyperlink", "hlinkClick", "hlinkHover"})
#: Elements that bring another file's content in, whatever their relationship says.
_INCLUDING_ELEMENTS = {
    "altChunk": "导入的外部文档片段（altChunk）",
    "subDoc": "子文档（subDoc）",
    "attachedTemplate": "附加的模板（开发工具→文档模板）",
    "frameset": "框架（frameset）",
    "objectLink": "链接的对象（objectLink）",
}
#: Field codes that read another file or program (Word and LibreOffice update them on opening or converting).
_FETCHING_FIELDS = frozenset(
    {"INCLUDEPICTURE", "INCLUDETEXT", "INCLUDE", "LINK", "DDE", "DDEAUTO", "IMPORT", "DATABASE", "RD"}
)
#: Names (elements and attributes) that the checks below look at; a part naming none of them
#: and using no outside relationship is not parsed (the body of a large document is hundreds of MB).
_LINK_MARKERS = (
    "instrText", "fldSimple", "link", "src", "href", "relid", "OLEObject", *_INCLUDING_ELEMENTS,
)  # fmt: skip
_XML_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")


class LinkError(Exception):
    """A template part that would make Office read another file (the message names part and link)."""


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def _parse_part(part: str, xml: str | bytes) -> etree._Element:
    try:
        return etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml, _xml_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise LinkError(f"{part} 不是有效的 XML（{exc}），请在 Word 中另存为 .docx 后重试") from None


def _local(name: object) -> str:
    return name.rsplit("}", 1)[-1] if isinstance(name, str) else ""


def _namespace(name: str) -> str:
    return name[1:].split("}", 1)[0] if name.startswith("{") else ""


def _utf8_compatible(xml: bytes) -> bool:
    """Whether the markers of :data:`_LINK_MARKERS` can be searched in ``xml`` as bytes."""
    head = xml[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<") or b"\x00" in head:
        return False
    if head.startswith(b"<?xml"):
        m = _XML_ENCODING.search(head.split(b"?>", 1)[0])
        return m is None or m.group(1).lower() in (b"utf-8", b"utf8", b"us-ascii", b"ascii")
    return True


def part_link_problem(
    part: str, xml: str | bytes, hyperlinks: Mapping[str, str] | None = None, strict: bool = True
) -> str | None:
    """What in one XML part would make Office read another file, in one Chinese sentence; None if nothing.

    ``hyperlinks`` are the part's relationships to outside the package (all hyperlinks, see
    :func:`~perf_excel.xlsx.safety.outside_links`): only a hyperlink element may use them. Checked: relationship attributes
    (``r:id``, ``r:embed``, ``r:link``, ``o:relid``…) that use one elsewhere, a picture or medium
    linked instead of embedded (``r:link``), VML ``src``/``o:href`` addresses, a linked OLE object,
    field codes (``fldSimple`` and ``instrText`` runs, joined per field) that include or link
    another file, and altChunk, subDoc, attachedTemplate, frameset and objectLink elements.
    A part that is not well-formed XML is a problem too, unless not ``strict``.
    """
    hyperlinks = hyperlinks or {}
    if not hyperlinks:
        if isinstance(xml, str):
            if not any(m in xml for m in _LINK_MARKERS):
                return None
        elif _utf8_compatible(xml) and not any(m.encode() in xml for m in _LINK_MARKERS):
            return None
    try:
        root = _parse_part(part, xml)
    except LinkError as exc:
        return str(exc) if strict else None
    # The fields open at this point, innermost last: [instruction pieces, instruction complete?].
    # A nested field's result text counts as instruction of the fields around it (Word builds
    # ``{ {QUOTE "INCLUDEPICTURE"} "…" }`` that way).
    fields: list[tuple[list[str], list[bool]]] = []
    for el in root.iter():
        tag = _local(el.tag)
        if not tag:
            continue  # a comment or processing instruction
        if tag in _INCLUDING_ELEMENTS:
            return (
                f"{part} 含有{_INCLUDING_ELEMENTS[tag]}，会读取其他文件，出于安全考虑不予处理；请在 Office 中删除后另存"
            )
        for attr, value in el.attrib.items():
            name, ns = _local(attr), _namespace(attr)
            if ns in REL_NAMESPACES or name == "relid":
                if name == "link":
                    return (
                        f"{part} 含有链接（而非嵌入）的图片或媒体，出于安全考虑不予处理；"
                        "请在 Word 中插入图片时不要选“链接到文件”（或删除后重新插入）后另存"
                    )
                if value in hyperlinks and tag not in _HYPERLINK_ELEMENTS:
                    return (
                        f"{part} 中的 {tag} 使用了指向文件外部的链接（→ “{hyperlinks[value][:200]}”），"
                        "只有超链接可以指向文件外部，出于安全考虑不予处理；请在 Office 中删除后另存"
                    )
            elif (name == "src" or (name == "href" and ns == _OFFICE_NS)) and value.strip():
                return (
                    f"{part} 含有指向其他文件的图片地址（“{value[:200]}”），出于安全考虑不予处理；"
                    "请在 Word 中把图片改为嵌入后另存"
                )
            elif tag == "OLEObject" and name == "Type" and value.strip().lower() == "link":
                return (
                    f"{part} 含有链接的对象（OLE 链接），会读取其他文件，出于安全考虑不予处理；请在 Office 中删除后另存"
                )
            elif tag == "fldSimple" and name == "instr":
                problem = _field_problem(part, value)
                if problem:
                    return problem
            elif tag == "fldChar" and name == "fldCharType":
                kind = value.strip().lower()
                if kind == "begin":
                    fields.append(([], [False]))
                elif kind == "separate" and fields:
                    fields[-1][1][0] = True
                elif kind == "end" and fields:
                    problem = _field_problem(part, "".join(fields.pop()[0]))
                    if problem:
                        return problem
        if tag in ("instrText", "delInstrText"):
            if fields:
                fields[-1][0].append(el.text or "")
            else:
                problem = _field_problem(part, el.text or "")
                if problem:
                    return problem
        elif tag in ("t", "delText") and el.text:
            for pieces, done in fields[:-1]:
                if not done[0]:
                    pieces.append(el.text)
    for pieces, _ in fields:  # fields never closed
        problem = _field_problem(part, "".join(pieces))
        if problem:
            return problem
    return None


def _field_problem(part: str, instruction: str) -> str | None:
    # Every word outside quotes: the field's name, and a name a lenient reader may find further on.
    words = re.sub(r'"[^"]*"', " ", instruction).replace("{", " ").replace("}", " ").split()
    if any(w.strip("\\").upper() in _FETCHING_FIELDS for w in words):
        code = " ".join(instruction.split())[:120]
        return (
            f"{part} 含有会读取其他文件的域代码 “{code}”，出于安全考虑不予处理；"
            "请在 Word 中删除该域（Alt+F9 可显示域代码）后另存"
        )
    return None


def check_links(name: str, members: Mapping[str, bytes], rendered: bool = False) -> dict[str, dict[str, str]]:
    """Check every part of a Word package (:func:`~perf_excel.xlsx.safety.outside_links`, :func:`part_link_problem`);
    :class:`TemplateError` naming ``name`` and the part (and saying it is in the ``rendered`` document).
    Returns the hyperlinks of :func:`~perf_excel.xlsx.safety.outside_links`."""
    where = "渲染结果中，" if rendered else ""
    try:
        links = outside_links(members)
    except ValueError as exc:
        raise TemplateError(f"{name}：{where}{exc}") from None
    for part, xml in members.items():
        lower = part.lower()
        if lower.endswith(".rels"):
            continue  # read above
        named_xml = lower.endswith((".xml", ".vml"))
        if not named_xml and not _looks_like_xml(xml):
            continue  # pictures and other binaries
        # A part not named .xml that does not parse is not XML (a reader would not take it for any).
        problem = part_link_problem(part, xml, links.get(part), strict=named_xml)
        if problem:
            raise TemplateError(f"{name}：{where}{problem}")
    return links


def _looks_like_xml(data: bytes) -> bool:
    head = data[:64]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return True  # UTF-16/32
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
