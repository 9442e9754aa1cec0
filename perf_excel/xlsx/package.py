"""Small helpers for reading and editing an Office Open XML package (.xlsx/.xlsm) part by part.

Write-back and ``weights --apply`` change a few parts of a workbook and copy every other
part byte for byte (VBA, charts, buttons, cached formula values). They, the package safety
scan and the reader find the parts they need through the package relationships, with these
helpers. Relationships and the sheet list are parsed as XML (defusedxml): an attribute may be
written with either quote, with spaces around ``=``, with entities, and an element may be
``<sheet …/>`` or ``<sheet …></sheet>``; a regular expression that assumes one spelling lets a
hostile file show one thing to us and another to Excel or python-calamine.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring

__all__ = [
    "Relationship",
    "SheetEntry",
    "local_name",
    "main_part",
    "parse",
    "relationships",
    "rels_path",
    "resolve",
    "sheet_parts",
    "sheet_targets",
    "workbook_sheets",
    "write_package",
]

_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: The namespaces an ``r:id`` attribute may use (transitional and strict OOXML).
_R_NAMESPACES = (_R_NS, "http://purl.oclc.org/ooxml/officeDocument/relationships")


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str
    external: bool


@dataclass(frozen=True)
class SheetEntry:
    """One ``<sheet>`` of workbook.xml, in the workbook's order."""

    name: str
    sheet_id: str
    rid: str
    state: str


def parse(data: bytes) -> Element:
    """The root element of an XML part; ``ValueError`` when it is not well-formed or declares a DTD."""
    try:
        return fromstring(data)
    except Exception as exc:  # ParseError, DTDForbidden, EntitiesForbidden…
        raise ValueError(f"not well-formed XML: {exc}") from None


def local_name(tag: str) -> str:
    """``{namespace}sheet`` → ``sheet``."""
    return tag.rpartition("}")[2]


def relationships(data: bytes) -> list[Relationship]:
    """The ``<Relationship>`` elements of a .rels part."""
    out = []
    for el in parse(data).iter():
        if not isinstance(el.tag, str) or local_name(el.tag) != "Relationship":
            continue
        out.append(
            Relationship(
                id=el.get("Id", ""),
                type=el.get("Type", ""),
                target=el.get("Target", ""),
                external=el.get("TargetMode", "").strip().lower() == "external",
            )
        )
    return out


def workbook_sheets(data: bytes) -> list[SheetEntry]:
    """The ``<sheet>`` elements of workbook.xml, in order."""
    out = []
    for el in parse(data).iter():
        if not isinstance(el.tag, str) or local_name(el.tag) != "sheet":
            continue
        rid = next((el.get(f"{{{ns}}}id") for ns in _R_NAMESPACES if el.get(f"{{{ns}}}id") is not None), "")
        out.append(SheetEntry(el.get("name", ""), el.get("sheetId", ""), rid, el.get("state", "visible")))
    return out


def resolve(base_dir: str, target: str) -> str:
    """A relationship target relative to ``base_dir`` as a zip member name."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in base_dir.split("/") if p]
    for p in target.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p and p != ".":
            parts.append(p)
    return "/".join(parts)


def main_part(parts: Mapping[str, bytes]) -> str:
    """The workbook part (``xl/workbook.xml`` as a rule) named by the package's root relationships."""
    for rel in relationships(parts["_rels/.rels"]):
        if rel.type.endswith("/officeDocument") and not rel.external:
            return resolve("", rel.target)
    raise ValueError("no officeDocument relationship")


def rels_path(part: str) -> str:
    """The .rels part that holds ``part``'s relationships."""
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def sheet_targets(workbook_xml: bytes, rels_xml: bytes, workbook_part: str) -> dict[str, str]:
    """Sheet name → worksheet part, in the workbook's order, from workbook.xml and its relationships."""
    base = workbook_part.rpartition("/")[0]
    targets = {r.id: resolve(base, r.target) for r in relationships(rels_xml) if not r.external}
    out: dict[str, str] = {}
    for sheet in workbook_sheets(workbook_xml):
        target = targets.get(sheet.rid)
        if target and sheet.name not in out:
            out[sheet.name] = target
    return out


def sheet_parts(parts: Mapping[str, bytes]) -> dict[str, str]:
    """Sheet name → worksheet part, in the workbook's order."""
    main = main_part(parts)
    return sheet_targets(parts[main], parts[rels_path(main)], main)


def write_package(
    path: Path,
    parts: Mapping[str, bytes | Iterable[str]],
    order: Sequence[zipfile.ZipInfo] = (),
    source: Mapping[str, bytes] | None = None,
) -> None:
    """Write ``parts`` as a zip package at ``path`` (a temporary file: the caller moves it into place).

    Members listed in ``order`` (the original package's) come first, in that order; a member
    whose bytes are still ``source``'s is copied with its original entry (same compression and
    date), so an edit changes only the parts it meant to. A part given as an iterable of text
    pieces is streamed into the zip: a worksheet of millions of cells is never one string.
    """
    source = source or {}
    listed = [info for info in order if info.filename in parts]
    names = {info.filename for info in listed}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in listed:
            data = parts[info.filename]
            if data is source.get(info.filename):
                zout.writestr(info, data)
            else:
                _write_member(zout, info.filename, data)
        for name, data in parts.items():
            if name not in names:
                _write_member(zout, name, data)


def _write_member(zout: zipfile.ZipFile, name: str, data: bytes | Iterable[str]) -> None:
    if isinstance(data, bytes):
        zout.writestr(name, data, zipfile.ZIP_DEFLATED)
        return
    with zout.open(name, "w", force_zip64=True) as fh:
        for piece in data:
            fh.write(piece.encode("utf-8"))
