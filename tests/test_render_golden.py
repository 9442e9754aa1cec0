"""Golden files: every document compared part by part with tests/golden (refresh: ``make golden``)."""

from __future__ import annotations

from functools import cache

import pytest
from support.canon import canonical_parts, diff_parts
from support.golden import GOLDEN_DIR, golden_documents, read_golden

DOCUMENTS = ["bulletin.docx", "letter_B02.docx", "letters_merged.docx", "yearbook.docx", "yearbook.xlsx"]


@cache
def rendered() -> dict[str, bytes]:
    return golden_documents()


@pytest.mark.parametrize("document", DOCUMENTS)
def test_document_matches_golden_parts(document: str) -> None:
    folder = GOLDEN_DIR / document.replace(".", "_")
    assert folder.exists(), f"no golden files for {document}: run `make golden`"
    diff = diff_parts(read_golden(document), canonical_parts(rendered()[document], media="size"))
    assert not diff, f"{document} differs from tests/golden (if intended, run `make golden` and review):\n{diff}"


def test_canonical_form_ignores_volatile_parts() -> None:
    a = canonical_parts(rendered()["yearbook.xlsx"], media="size")
    b = canonical_parts(golden_documents()["yearbook.xlsx"], media="size")
    assert diff_parts(a, b) == ""
