"""Letters at ≥ 10× naive docxtpl: the shortcuts must change nothing but the time.

* the body of a template without drawings or ``{%tc%}`` columns is only checked to be XML (expat),
  not parsed into a tree and written back: the same XML after canonicalisation, the same refusal
  (lxml's message) when the rendered body is not XML;
* explanations of 功效系数 and 区间 are computed without numpy: the same level and clause as the
  vectorised scorers, hence the same text.
"""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest
from lxml import etree
from support.canon import canonical_xml

from perf_excel.core.errors import TemplateError
from perf_excel.core.methods.band import match_band, match_band_scalar
from perf_excel.core.methods.efficacy import _efficacy_level, _efficacy_parts
from perf_excel.core.model import Band, Indicator
from perf_excel.documents import PreparedTemplate, load_template
from perf_excel.documents.context import LetterContexts
from perf_excel.documents.env import make_env
from perf_excel.documents.samples import sample_results

RESULTS = sample_results()


def _letter_template() -> PreparedTemplate:
    name, data = load_template(None, "letter.docx")
    return PreparedTemplate(data, name, make_env())


@pytest.mark.parametrize("unit", ["A01", "B02"])
def test_body_without_drawings_is_written_as_rendered_and_equals_the_tree_path(unit):
    prepared = _letter_template()
    ctx = LetterContexts(RESULTS).context(unit)
    fast = prepared._body_bytes(ctx)
    tree = etree.tostring(prepared.render_body(ctx))
    assert b"docPr" not in fast
    assert fast != tree  # not the serialised tree (UTF-8, not character references) ...
    assert canonical_xml("word/document.xml", fast) == canonical_xml("word/document.xml", tree)  # ... same XML
    doc = zipfile.ZipFile(io.BytesIO(prepared.render(ctx))).read("word/document.xml")
    assert fast in doc


@pytest.mark.parametrize(
    "broken",
    [
        '<w:body xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p></w:body>',
        '<w:body xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:t>\x01</w:t></w:body>',
        '<w:body xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&nosuch;</w:body>',
    ],
)
def test_a_body_that_is_not_xml_is_still_refused_with_lxmls_message(monkeypatch, broken):
    prepared = _letter_template()
    monkeypatch.setattr(prepared, "_render_text", lambda *a: broken)
    with pytest.raises(TemplateError, match="正文.*渲染结果不是有效的 XML"):
        prepared.render(LetterContexts(RESULTS).context("A01"))


def _ind(**kw) -> Indicator:
    return Indicator(code="T1", name="测试指标", dimension="维度", points=10.0, **kw)


STANDARDS = (100.0, 80.0, 60.0, 40.0, 20.0)


@pytest.mark.parametrize(
    "x, positive_level, reverse_level",
    # 正向 standards 100 (优秀) … 20 (较差): the first one x reaches (x ≥ v). 逆向 standards 20 (优秀) … 100
    # (较差): the first one x reaches (x ≤ v). 5 = below 较差.
    [
        (120, 0, 5),
        (100, 0, 4),
        (99.999, 1, 4),
        (80, 1, 3),
        (70, 2, 3),
        (60, 2, 2),
        (40, 3, 1),
        (20, 4, 0),
        (19.99, 5, 0),
        (-5, 5, 0),
    ],
)
def test_efficacy_level_without_numpy(x, positive_level, reverse_level):
    for positive, expected in ((True, positive_level), (False, reverse_level)):
        ind = _ind(method="efficacy", positive=positive, standards=STANDARDS if positive else STANDARDS[::-1])
        assert _efficacy_level(ind, float(x)) == expected
        assert int(_efficacy_parts(ind, np.array([float(x)]))[0][0]) == expected


BANDS = (Band(">=", 90.0, 1.0), Band(">", 80.0, 0.8), Band("=", 80.0, 0.7), Band("<", 0.0, 0.0), Band("else", 0.0, 0.5))


@pytest.mark.parametrize(
    "x, expected",
    [(95, 0), (90, 0), (85, 1), (80, 2), (80 + 5e-10, 1), (80 - 5e-10, 2), (80 - 2e-9, 4), (-1, 3), (0, 4)],
)
def test_band_clause_without_numpy(x, expected):
    assert match_band_scalar(BANDS, float(x)) == expected
    assert int(match_band(BANDS, np.array([float(x)]))[0]) == expected


def test_band_without_else_can_match_nothing():
    bands = (Band("<=", 10.0, 1.0), Band("=", 20.0, 0.5))
    assert [match_band_scalar(bands, v) for v in (5.0, 20.0, 15.0, float("inf"))] == [0, 1, -1, -1]
    assert list(match_band(bands, np.array([5.0, 20.0, 15.0, np.inf]))) == [0, 1, -1, -1]


# -- round_half_up: a float fast path away from ties, Decimal near them ------------------------------


def _decimal_round_half_up(value: float, digits: int) -> float:
    """The definition: repr's decimal, rounded half up to 10 places, then to ``digits``."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(repr(value)).quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP)
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (2.675, 2, 2.68),  # binary 2.67499999…: half up on the decimal, not the float
        (-2.675, 2, -2.68),  # away from zero
        (1.005, 2, 1.01),
        (89.99499999, 2, 89.99),
        (0.1 + 0.2, 1, 0.3),
        (79.05046302029584, 2, 79.05),
        (3.01375, 2, 3.01),
        (0.5, 0, 1.0),
        (-0.001, 2, -0.0),
        (9999999.995, 2, 10000000.0),
    ],
)
def test_round_half_up_by_hand(value, digits, expected):
    from perf_excel.core.numbers import round_half_up

    got = round_half_up(value, digits)
    assert got == expected and math.copysign(1, got) == math.copysign(1, expected)


def test_round_half_up_equals_the_decimal_definition_on_many_values():
    from perf_excel.core.numbers import round_half_up

    rng = np.random.default_rng(9)
    values = list(rng.uniform(-1000, 1000, 20_000))
    values += [round(v, k) for k in range(5) for v in rng.uniform(-100, 100, 4_000)]  # exact ties in decimal
    values += [round(v, 3) + e for e in (1e-12, -1e-12, 5e-11, -5e-11, 1e-9) for v in rng.uniform(-50, 50, 2_000)]
    values += list(rng.uniform(0, 1, 10_000) * 10.0 ** rng.integers(-8, 14, 10_000))
    values += [a / b for a in range(1, 200) for b in (3, 7, 8, 16, 40, 200, 1000)]
    values = [float(v) for v in values] + [0.0, -0.0, 1e14, -1e-300]
    for digits in (0, 1, 2, 3, 4):
        differing = [v for v in values if repr(round_half_up(v, digits)) != repr(_decimal_round_half_up(v, digits))]
        assert differing == [], (digits, differing[:5])


# -- the shortcut is taken only when every value is escaped ----------------------------------------


def test_raw_markup_with_an_undeclared_prefix_is_still_refused():
    # expat (without namespaces) would accept <x:a/>; lxml refuses the undeclared prefix, as docxtpl does.
    from markupsafe import Markup

    prepared = _letter_template()
    ctx = LetterContexts(RESULTS).context("A01")
    ctx["unit"] = dict(ctx["unit"], name=Markup("<x:a/>"))
    with pytest.raises(TemplateError, match="渲染结果不是有效的 XML"):
        prepared.render(ctx)


@pytest.mark.parametrize(
    "value, plain",
    [
        ({"a": [1, 2.5, "x", None, True, ("y", {"b": -1})]}, True),
        ({"a": [{"b": object()}]}, False),
        ({"a": np.float64(1.0)}, False),  # not a plain float: the tree path, to be safe
        ({"a": ["<b/>"]}, True),  # text is escaped when rendered
    ],
)
def test_plain_data(value, plain):
    from perf_excel.documents.prepared import _plain_data

    assert _plain_data(value) is plain


def test_templates_that_can_output_raw_markup_never_take_the_shortcut(tmp_path):
    import docx

    name, data = load_template(None, "letter.docx")
    d = docx.Document(io.BytesIO(data))
    d.add_paragraph("{{ unit.name|safe }}")
    path = tmp_path / "safe.docx"
    d.save(str(path))
    name, data = load_template(path, "letter.docx")
    assert _letter_template()._body_escaped is True
    assert PreparedTemplate(data, name, make_env())._body_escaped is False
