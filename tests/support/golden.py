"""Golden files: the documents rendered from the fixed samples, stored as canonical parts.

``tests/golden/<document>/<part>.txt`` holds one canonical part each (see :mod:`.canon`);
``python scripts/refresh_golden.py`` (or ``make golden``) rewrites them after an intended change,
and the diff in version control is the review.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from perf_excel.documents import PreparedTemplate, load_template
from perf_excel.documents.bulletin import bulletin_bytes
from perf_excel.documents.context import LetterContexts
from perf_excel.documents.env import make_env
from perf_excel.documents.samples import sample_results, sample_years
from perf_excel.documents.yearbook import render_yearbook
from support.canon import canonical_parts

__all__ = ["GOLDEN_DIR", "golden_documents", "read_golden", "write_golden", "part_file"]

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "tests" / "golden"


def golden_documents() -> dict[str, bytes]:
    """Document name → .docx/.xlsx bytes, rendered from the samples (no charts: PNG bytes vary by platform)."""
    env = make_env()
    results = sample_results()
    docs: dict[str, bytes] = {}
    docs["bulletin.docx"] = bulletin_bytes(results)  # the path `perf-excel report` takes
    name, data = load_template(None, "letter.docx")
    prepared = PreparedTemplate(data, name, env)
    builder = LetterContexts(results)
    docs["letter_B02.docx"] = prepared.render(builder.context("B02"))
    docs["letters_merged.docx"] = prepared.render_merged([builder.context("A01"), builder.context("B03")])
    with tempfile.TemporaryDirectory() as tmp:
        paths = render_yearbook(sample_years(), tmp, sources=["示例2023.xlsx", "示例2024.xlsx", "示例2025.xlsx"])
        docs["yearbook.docx"] = paths[0].read_bytes()
        docs["yearbook.xlsx"] = paths[1].read_bytes()
    return docs


def part_file(part: str) -> str:
    return part.replace("/", "__").replace("(", "").replace(")", "").replace(" ", "_") + ".txt"


def read_golden(document: str) -> dict[str, str]:
    folder = GOLDEN_DIR / document.replace(".", "_")
    index = (folder / "parts.txt").read_text(encoding="utf-8").splitlines()
    return {part: (folder / part_file(part)).read_text(encoding="utf-8") for part in index}


def write_golden(golden_dir: Path = GOLDEN_DIR) -> list[Path]:
    written = []
    for document, data in golden_documents().items():
        folder = golden_dir / document.replace(".", "_")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        parts = canonical_parts(data, media="size")
        (folder / "parts.txt").write_text("\n".join(parts) + "\n", encoding="utf-8")
        for part, text in parts.items():
            (folder / part_file(part)).write_text(text, encoding="utf-8")
        written.append(folder)
    return written
