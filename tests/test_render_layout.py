"""The templates carry the GB/T 9704-2012 layout: page, grid, fonts through w:eastAsia, page numbers, headers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from perf_excel.documents import chart as chart_module
from perf_excel.documents import render_letters
from perf_excel.documents.samples import sample_results

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NAMES = ["bulletin.docx", "letter.docx", "yearbook.docx"]


@pytest.mark.parametrize("name", NAMES)
def test_page_and_grid(name: str) -> None:
    s = docx.Document(str(TEMPLATES / name)).sections[0]

    # A4; 天头 37 mm, 订口 28 mm; text block 156 × 225 mm.
    def mm(length) -> float:
        return round(length.mm, 1)

    assert (mm(s.page_width), mm(s.page_height)) == (210, 297)
    assert [mm(s.top_margin), mm(s.left_margin), mm(s.bottom_margin), mm(s.right_margin)] == [37, 28, 35, 26]
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and grid.get(qn("w:linePitch")) == "579"


@pytest.mark.parametrize("name", NAMES)
def test_fonts_are_named_east_asian_and_not_themed(name: str) -> None:
    with zipfile.ZipFile(TEMPLATES / name) as z:
        styles = z.read("word/styles.xml").decode("utf-8")
    assert "Theme=" not in styles and "w:cstheme" not in styles
    d = docx.Document(str(TEMPLATES / name))
    expected = {
        "公文标题": "方正小标宋简体",
        "公文正文": "仿宋_GB2312",
        "公文一级标题": "黑体",
        "公文二级标题": "楷体_GB2312",
    }
    for style, font in expected.items():
        rfonts = d.styles[style].element.rPr.find(qn("w:rFonts"))
        assert rfonts.get(qn("w:eastAsia")) == font
    body = d.styles["公文正文"]
    ind = body.element.pPr.find(qn("w:ind"))
    assert (ind.get(qn("w:firstLineChars")), ind.get(qn("w:firstLine"))) == ("200", "640")
    assert body.font.size.pt == 16 and d.styles["公文标题"].font.size.pt == 22


@pytest.mark.parametrize("name", NAMES)
def test_page_numbers_odd_right_even_left(name: str) -> None:
    d = docx.Document(str(TEMPLATES / name))
    assert d.settings.odd_and_even_pages_header_footer
    s = d.sections[0]
    for footer, align in ((s.footer, "right"), (s.even_page_footer, "left")):
        p = footer.paragraphs[0]
        assert p.text == "— 1 —"  # the field's cached value between the dashes
        assert p._p.pPr.find(qn("w:jc")).get(qn("w:val")) == align
        assert "PAGE" in p._p.xml
        assert p.runs[0].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
        assert p.runs[0].font.size.pt == 14


@pytest.mark.parametrize("name", NAMES)
def test_tables_repeat_their_header_row(name: str) -> None:
    d = docx.Document(str(TEMPLATES / name))
    assert d.tables
    for t in d.tables:
        assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_bulletin_date_in_arabic_numerals(tmp_path: Path) -> None:
    from perf_excel.documents import render_bulletin

    d = docx.Document(str(render_bulletin(sample_results(), tmp_path)))
    dates = [p for p in d.paragraphs if p.style.name == "公文成文日期"]
    assert [p.text for p in dates] == ["2026年1月20日"]


def test_no_cjk_font_means_no_chart_and_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chart_module, "find_cjk_font", lambda: None)
    run = render_letters(sample_results(), tmp_path, units=["A01"])
    assert run.warnings and "未找到中文字体" in run.warnings[0]
    with zipfile.ZipFile(run.files[0]) as z:
        assert not [n for n in z.namelist() if n.startswith("word/media/")]


def test_letter_has_chart_when_a_cjk_font_exists(tmp_path: Path) -> None:
    if chart_module.find_cjk_font() is None:
        pytest.skip("no CJK font on this system")
    run = render_letters(sample_results(), tmp_path, units=["A01"])
    assert not run.warnings
    with zipfile.ZipFile(run.files[0]) as z:
        assert z.namelist().count("word/media/image1.png") == 1
