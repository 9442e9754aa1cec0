"""Small helpers for editing an Office Open XML package (.xlsx/.xlsm) part by part.

Write-back and ``weights --apply`` change a few parts of a workbook and copy every other
part byte for byte (VBA, charts, buttons, cached formula values). They find the parts
they need through the package relationships, with these helpers.
"""

from __future__ import annotations

import re

__all__ = ["RELATIONSHIP", "attr", "main_part", "rels_path", "resolve", "sheet_parts", "unescape_attr"]

#: A <Relationship …> element in a .rels part.
RELATIONSHIP = re.compile(r"<Relationship\b[^>]*>")


def attr(tag: str, name: str) -> str | None:
    """The value of attribute ``name`` in the start tag ``tag`` (not unescaped)."""
    m = re.search(rf'\s{re.escape(name)}="([^"]*)"', tag)
    return m.group(1) if m else None


def unescape_attr(value: str) -> str:
    """An attribute value as text (``&amp;`` → ``&`` …)."""
    return (
        value.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


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


def main_part(parts: dict[str, bytes]) -> str:
    """The workbook part (``xl/workbook.xml`` as a rule) named by the package's root relationships."""
    rels = parts["_rels/.rels"].decode("utf-8")
    for rel in RELATIONSHIP.findall(rels):
        if (attr(rel, "Type") or "").endswith("/officeDocument"):
            return resolve("", attr(rel, "Target") or "")
    raise ValueError("no officeDocument relationship")


def rels_path(part: str) -> str:
    """The .rels part that holds ``part``'s relationships."""
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name → worksheet part, in the workbook's order."""
    main = main_part(parts)
    base = main.rpartition("/")[0]
    workbook = parts[main].decode("utf-8")
    targets = {
        attr(r, "Id"): resolve(base, attr(r, "Target") or "")
        for r in RELATIONSHIP.findall(parts[rels_path(main)].decode("utf-8"))
    }
    out = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        rid = re.search(r'\s(?:\w+:)?id="([^"]*)"', tag)
        target = targets.get(rid.group(1)) if rid else None
        if target:
            out[unescape_attr(attr(tag, "name") or "")] = target
    return out
