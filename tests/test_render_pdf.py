"""PDF through LibreOffice: the text survives (units, numbers, page numbers). Skipped without soffice."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from perf_excel.documents import render_bulletin, render_letters
from perf_excel.documents.pdf import find_soffice, to_pdf
from perf_excel.documents.samples import sample_results

pytestmark = [
    pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) not installed: PDF tests skipped"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed"),
]


@cache
def pdf_texts(tmp: str) -> dict[str, str]:
    results = sample_results()
    out = Path(tmp)
    bulletin = render_bulletin(results, out)
    letter = render_letters(results, out, units=["B02"]).files[0]
    texts = {}
    for kind, pdf in zip(("bulletin", "letter"), to_pdf([bulletin, letter], out / "pdf")):
        texts[kind] = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    return texts


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return pdf_texts(str(tmp_path_factory.mktemp("pdf")))


def test_bulletin_pdf_has_units_numbers_and_page_numbers(texts: dict[str, str]) -> None:
    text = texts["bulletin"]
    for unit in (
        "青山县",
        "绿水区",
        "白云县",
        "红河区",
        "金沙县",
        "市财政局",
        "市科创R&D中心<试点>",
        "市教育局",
        "市民政局",
    ):
        assert unit in text.replace(" ", "") or unit in text
    # Totals by hand: 青山县 96.60, 市教育局 72.30×100/80 = 90.375 → 90.38.
    assert "96.60" in text and "90.38" in text
    # The footer is "— 1 —"; pdftotext drops the half-width spaces around the number.
    assert "—1—" in text.replace(" ", "") and "—2—" in text.replace(" ", "")
    assert "示绩考办〔2026〕1号" in text.replace(" ", "")
    assert "2026年1月20日" in text.replace(" ", "")


def test_letter_pdf(texts: dict[str, str]) -> None:
    text = texts["letter"].replace(" ", "")
    assert "市科创R&D中心<试点>" in text
    assert "94.50" in text
    assert "—1—" in text
