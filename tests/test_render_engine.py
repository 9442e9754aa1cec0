"""The rendering engine: same XML as docxtpl, the sandbox, escaping, and template errors that name the tag."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from support.canon import canonical_parts, diff_parts

from perf_excel.core.errors import TemplateError
from perf_excel.documents import PreparedTemplate, load_template, render_docx
from perf_excel.documents.chart import ChartMaker
from perf_excel.documents.context import LetterContexts, bulletin_context
from perf_excel.documents.docxtpl_render import image_factory_for
from perf_excel.documents.env import make_env
from perf_excel.documents.samples import sample_results

RESULTS = sample_results()


def docxtpl_bytes(name: str, data: bytes, context) -> bytes:
    buf = io.BytesIO()
    render_docx(name, data, context, buf, make_env())
    return buf.getvalue()


@pytest.mark.parametrize("unit", ["A01", "A02", "B02", "B03"])
def test_prepared_letter_has_the_xml_of_a_fresh_docxtemplate(unit: str) -> None:
    name, data = load_template(None, "letter.docx")
    prepared = PreparedTemplate(data, name, make_env())
    builder = LetterContexts(RESULTS)
    fast = prepared.render(builder.context(unit))
    slow = docxtpl_bytes(name, data, builder.context(unit))
    assert diff_parts(canonical_parts(slow), canonical_parts(fast)) == ""


def test_prepared_letter_with_chart_matches_docxtpl_inline_image() -> None:
    maker = ChartMaker()
    if not maker.available:
        pytest.skip("no CJK font on this system: letters are rendered without charts")
    name, data = load_template(None, "letter.docx")
    prepared = PreparedTemplate(data, name, make_env())
    builder = LetterContexts(RESULTS)

    def chart(image):
        return lambda ctx: image(maker.png(ctx["dimensions"]), 140)

    fast = prepared.render(builder.context("B02", chart(prepared.image)))
    slow = docxtpl_bytes(name, data, lambda tpl: builder.context("B02", chart(image_factory_for(tpl))))
    fast_parts, slow_parts = canonical_parts(fast), canonical_parts(slow)
    assert "word/media/image1.png" in fast_parts
    assert diff_parts(slow_parts, fast_parts) == ""


def test_prepared_bulletin_matches_docxtpl() -> None:
    name, data = load_template(None, "bulletin.docx")
    fast = PreparedTemplate(data, name, make_env()).render(bulletin_context(RESULTS))
    slow = docxtpl_bytes(name, data, bulletin_context(RESULTS))
    assert diff_parts(canonical_parts(slow), canonical_parts(fast)) == ""


def test_merged_letters_restart_page_numbers_per_section(tmp_path: Path) -> None:
    name, data = load_template(None, "letter.docx")
    prepared = PreparedTemplate(data, name, make_env())
    builder = LetterContexts(RESULTS)
    path = tmp_path / "merged.docx"
    path.write_bytes(prepared.render_merged([builder.context(u) for u in ("A01", "A02", "B02")]))
    d = docx.Document(str(path))
    assert len(d.sections) == 3
    starts = [s._sectPr.find(docx.oxml.ns.qn("w:pgNumType")).get(docx.oxml.ns.qn("w:start")) for s in d.sections]
    assert starts == ["1", "1", "1"]
    text = "\n".join(p.text for p in d.paragraphs)
    assert text.count("结果反馈单") == 3
    assert "市科创R&D中心<试点>：" in text


# -- sandbox and escaping ------------------------------------------------------------------------


def template_with(tmp_path: Path, paragraph: str = "", title: str | None = None, base: str = "bulletin.docx") -> Path:
    _, data = load_template(None, base)
    d = docx.Document(io.BytesIO(data))
    if paragraph:
        d.add_paragraph(paragraph)
    if title is not None:
        d.core_properties.title = title
    path = tmp_path / base
    d.save(str(path))
    return path


EVIL = "{{ ''.__class__.__mro__ }}"


@pytest.mark.parametrize("where", ["body", "title"])
@pytest.mark.parametrize("engine", ["docxtpl", "prepared"])
def test_sandbox_blocks_python_internals(tmp_path: Path, where: str, engine: str) -> None:
    path = template_with(tmp_path, paragraph=EVIL if where == "body" else "", title=EVIL if where == "title" else None)
    name, data = load_template(path, "bulletin.docx")
    with pytest.raises(TemplateError) as err:
        if engine == "docxtpl":
            render_docx(name, data, bulletin_context(RESULTS), tmp_path / "out.docx", make_env())
        else:
            PreparedTemplate(data, name, make_env()).render(bulletin_context(RESULTS))
    assert str(err.value).startswith("bulletin.docx")
    assert "不允许访问属性 “__class__”" in str(err.value)
    assert "object" not in str(err.value)  # nothing of the class hierarchy leaks into the message


def test_xml_special_characters_stay_text(tmp_path: Path) -> None:
    name, data = load_template(None, "letter.docx")
    out = PreparedTemplate(data, name, make_env()).render(LetterContexts(RESULTS).context("B02"))
    d = docx.Document(io.BytesIO(out))
    assert d.paragraphs[2].text == "市科创R&D中心<试点>："
    assert d.core_properties.subject == "市科创R&D中心<试点>"


# -- template errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "paragraph, base, expected",
    [
        ("单位：{{ nmae }}", "bulletin.docx", "bulletin.docx：未定义的变量 “nmae”（标签 “{{ nmae }}”）"),
        ("{{ unit.nmae }}", "letter.docx", "letter.docx：数据中没有 “nmae”（标签 “{{ unit.nmae }}”）"),
        (
            "{% for c in categories %}{{ c.nmae }}{% endfor %}",
            "bulletin.docx",
            "bulletin.docx：数据中没有 “nmae”（标签 “{{ c.nmae }}”）",
        ),
        ("{{ title|nosuchfilter }}", "bulletin.docx", "bulletin.docx：模板语法错误：No filter named 'nosuchfilter'."),
    ],
)
def test_template_errors_name_template_tag_and_variable(
    tmp_path: Path, paragraph: str, base: str, expected: str
) -> None:
    path = template_with(tmp_path, paragraph, base=base)
    name, data = load_template(path, base)
    ctx = bulletin_context(RESULTS) if base == "bulletin.docx" else LetterContexts(RESULTS).context("B02")
    with pytest.raises(TemplateError) as err:
        render_docx(name, data, ctx, tmp_path / "out.docx", make_env())
    assert str(err.value).startswith(expected)


def test_missing_and_broken_templates(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="nothere.docx：模板文件不存在"):
        load_template(tmp_path / "nothere.docx", "bulletin.docx")
    bad = tmp_path / "bad.docx"
    bad.write_text("not a zip", encoding="utf-8")
    with pytest.raises(TemplateError, match="bad.docx：不是有效的 Word 文档"):
        load_template(bad, "bulletin.docx")
