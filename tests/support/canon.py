"""Canonical, readable text of each part of a .docx/.xlsx, for golden-file and equivalence tests.

Never compare Office files byte by byte (zip timestamps, attribute order and namespace
declarations change on every save). :func:`canonical_parts` lists the zip members and turns
each XML part into one line per element, attributes sorted, namespaces as short prefixes,
whitespace between elements dropped (Word ignores it; text inside ``w:t`` is kept exactly),
after the named normalisations in :data:`NORMALISATIONS`.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

__all__ = ["NORMALISATIONS", "canonical_parts", "diff_parts"]

_PREFIXES = {
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main": "w",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships": "r",
    "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing": "wp",
    "http://schemas.openxmlformats.org/drawingml/2006/main": "a",
    "http://schemas.openxmlformats.org/drawingml/2006/picture": "pic",
    "http://schemas.openxmlformats.org/package/2006/relationships": "rel",
    "http://schemas.openxmlformats.org/package/2006/content-types": "ct",
    "http://schemas.openxmlformats.org/package/2006/metadata/core-properties": "cp",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://www.w3.org/2001/XMLSchema-instance": "xsi",
    "http://www.w3.org/XML/1998/namespace": "xml",
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main": "x",
    "http://schemas.openxmlformats.org/markup-compatibility/2006": "mc",
}


def _name(qname: str) -> str:
    if qname.startswith("{"):
        ns, local = qname[1:].split("}", 1)
        return f"{_PREFIXES.get(ns, ns)}:{local}"
    return qname


def _drop_core_dates(root: etree._Element) -> None:
    """docProps/core.xml: creation/modification dates, revision and last author change on every save."""
    for el in list(root):
        if _name(el.tag) in (
            "dcterms:created",
            "dcterms:modified",
            "cp:lastModifiedBy",
            "cp:revision",
            "cp:lastPrinted",
        ):
            root.remove(el)


def _sort_children(key: Callable[[etree._Element], str]) -> Callable[[etree._Element], None]:
    def run(root: etree._Element) -> None:
        root[:] = sorted(root, key=key)

    return run


def _drop_rsids(root: etree._Element) -> None:
    """Revision-session ids (w:rsid*) are Word's editing history, not content."""
    for el in root.iter():
        for attr in [a for a in el.attrib if _name(a).startswith("w:rsid")]:
            del el.attrib[attr]
    for el in list(root.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rsids")):
        el.getparent().remove(el)


#: Named normalisations: (what it is for, which parts, function on the parsed root).
NORMALISATIONS: tuple[tuple[str, Callable[[str], bool], Callable[[etree._Element], None]], ...] = (
    ("core dates, revision, last author", lambda n: n == "docProps/core.xml", _drop_core_dates),
    (
        "content types in sorted order",
        lambda n: n == "[Content_Types].xml",
        _sort_children(lambda e: (e.get("Extension") or "") + (e.get("PartName") or "")),
    ),
    ("relationships in sorted order", lambda n: n.endswith(".rels"), _sort_children(lambda e: e.get("Id") or "")),
    ("revision-session ids", lambda n: n.startswith("word/"), _drop_rsids),
)


def _lines(el: etree._Element, depth: int, out: list[str]) -> None:
    if not isinstance(el.tag, str):  # comments, processing instructions
        return
    attrs = " ".join(f'{_name(k)}="{v}"' for k, v in sorted((_name(k), v) for k, v in el.attrib.items()))
    line = "  " * depth + _name(el.tag) + (f" {attrs}" if attrs else "")
    text = el.text or ""
    if text.strip() or (text and len(el) == 0):
        line += f" = {text!r}"
    out.append(line)
    for c in el:
        _lines(c, depth + 1, out)
        if c.tail and c.tail.strip():
            out.append("  " * (depth + 1) + f"(tail) {c.tail!r}")


def canonical_xml(name: str, blob: bytes) -> str:
    root = etree.fromstring(blob, etree.XMLParser(huge_tree=True, remove_comments=True))
    for _, applies, fn in NORMALISATIONS:
        if applies(name):
            fn(root)
    out: list[str] = []
    _lines(root, 0, out)
    return "\n".join(out) + "\n"


def canonical_parts(source: str | Path | bytes, media: str = "hash") -> dict[str, str]:
    """Part name → canonical text; ``media="size"`` replaces pictures by their kind only
    (matplotlib's PNG bytes differ between versions), ``"hash"`` by their SHA-1."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    parts: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = sorted(z.namelist())
        parts["(zip members)"] = "\n".join(names) + "\n"
        for n in names:
            blob = z.read(n)
            if n.endswith((".xml", ".rels")):
                parts[n] = canonical_xml(n, blob)
            elif media == "hash":
                parts[n] = f"(binary {hashlib.sha1(blob).hexdigest()})\n"
            else:
                parts[n] = f"(binary {Path(n).suffix})\n"
    return parts


def diff_parts(expected: dict[str, str], actual: dict[str, str], context: int = 3, limit: int = 120) -> str:
    """A readable unified diff of the parts that differ (empty string if none)."""
    out: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        a, b = expected.get(name), actual.get(name)
        if a == b:
            continue
        if a is None or b is None:
            out.append(f"--- {name}: {'missing in expected' if a is None else 'missing in actual'}")
            continue
        lines = list(
            difflib.unified_diff(
                a.splitlines(), b.splitlines(), f"expected/{name}", f"actual/{name}", n=context, lineterm=""
            )
        )
        out.extend(lines[:limit])
        if len(lines) > limit:
            out.append(f"... {len(lines) - limit} more lines")
    return "\n".join(out)
