"""Hostile Word templates: sandbox escapes, endless loops, enormous output, outside links.

Each payload is put in the body, a header, a footer and a document property of a template
given to ``perf-excel report --template``. The run must end with exit code 0 or 1, never a
traceback; an error names the template; a document that was written holds no trace of
Python internals. Also: the template context is plain data (the letter's chart an opaque
marker), links to outside files in any spelling and in what the template's code renders,
control characters in the data, deep nesting, template paths that are not regular files,
and whole numbers too big to compute within the time limit.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import threading
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from docx import Document
from hostile_docx import HYPERLINK, RENDERED_SHAPES, SHAPES, add_rel, base_parts, docx_bytes, in_body
from hostile_xlsx import Sheet, write_xlsx

from perf_excel.cli import main
from perf_excel.core.errors import InputError, TemplateError
from perf_excel.documents import links
from perf_excel.documents.context import plain_context
from perf_excel.documents.limits import limits
from perf_excel.documents.parts import Picture

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__['__builtins__'] }}",
    "{{ ''|attr('__class__')|attr('__mro__') }}",
    "{{ cycler|attr('__init__')|attr('__globals__') }}",
    "{{ (cycler|attr('__init__')|attr('__globals__'))['os'] }}",
    "{{ '{0.__class__.__mro__}'.format('') }}",
    "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    "{{ '{0.__class__}'.format(1) }}",
    "{{ '%s' % ''.__class__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ range.__self__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ config }}{{ request }}",
    "{% set ns = namespace() %}{% set ns.__class__ = 1 %}{{ ns }}",
    "{{ [].__class__.__base__.__subclasses__()[0] }}",
    "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
    "{{ (1).__class__.__subclasses__() }}",
    "{{ dict(a=1).items.__self__.__class__ }}",
]
PARTS = ["body", "header", "footer", "title"]
LEAKS = re.compile(r"<class|<function|<module|__globals__|__builtins__|uid=\d|subprocess|_TemplateReference")


def make_template(path: Path, text: str, part: str) -> Path:
    doc = Document()
    doc.add_paragraph("考核结果通报 {{ title }}" if part != "body" else text)
    section = doc.sections[0]
    if part == "header":
        section.header.paragraphs[0].text = text
    if part == "footer":
        section.footer.paragraphs[0].text = text
    if part == "title":
        doc.core_properties.title = text
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wb")
    header = ["编码", "维度", "指标名称", "分值", "计分方法", "目标值"]
    return write_xlsx(
        folder / "考核表.xlsx",
        [
            Sheet("设置", [["项目", "值"], ["考核名称", "2025年度考核"]]),
            Sheet("指标", [header, ["A1", "经济", "甲", 100, "完成比例", 100]]),
            Sheet("单位", [["编码", "名称", "类别"], ["U1", "甲单位", "区"], ["U2", "乙单位", "区"]]),
            Sheet("数据", [["单位编码", "A1"], ["U1", 90], ["U2", 80]]),
        ],
    )


def run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue() + err.getvalue()


def document_text(folder: Path) -> str:
    texts = []
    for docx in folder.rglob("*.docx"):
        with zipfile.ZipFile(docx) as z:
            for name in z.namelist():
                if name.endswith(".xml"):
                    texts.append(z.read(name).decode("utf-8", "replace"))
    return "\n".join(texts)


# Every payload in the body; every fourth one in a header, a footer and a document property too.
SANDBOX_CASES = [(p, "body") for p in ESCAPES] + [(p, part) for p in ESCAPES[::4] for part in PARTS[1:]]


@pytest.mark.parametrize(("payload", "part"), SANDBOX_CASES)
def test_sandbox_holds(workbook: Path, tmp_path: Path, payload: str, part: str) -> None:
    template = make_template(tmp_path / "恶意模板.docx", payload, part)
    out = tmp_path / "out"
    code, text = run(["report", str(workbook), "-o", str(out), "--template", str(template)])
    assert code in (0, 1), text
    assert "Traceback" not in text
    if code == 1:
        assert "恶意模板.docx" in text, text
    else:
        assert not LEAKS.search(document_text(out))


LIMIT_CASES = [
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "秒仍未完成"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}" + "x" * 100 + "{% endfor %}{% endfor %}", "MB"),
    ("{{ 'x' * 10**10 }}", "重复运算结果过大"),
    ("{{ [1] * 10**9 }}", "重复运算结果过大"),
    ("{{ 9**(9**9) }}", "乘方结果过大"),
    ("{{ '{:>999999999}'.format(1) }}", "格式宽度过大"),
    ("{{ '{:{}}'.format(1, 999999999) }}", "格式宽度过大"),
    ("{{ '%0999999999d' % 1 }}", "格式宽度过大"),
    ("{{ '%*d' % (999999999, 1) }}", "格式宽度过大"),
    ("{{ 'x'|center(999999999) }}", "过大"),
    ("{{ 'x'|indent(999999999) }}", "过大"),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "递归过深"),
    # Whole numbers: one multiplication of huge numbers runs in C, where no watchdog can stop it.
    (
        "{% set ns = namespace(x=3) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}{% endfor %}",
        "整数运算结果过大",
    ),
    (
        "{% set ns = namespace(x=2) %}{% for i in range(99999) %}{% set ns.x = ns.x + ns.x %}{% endfor %}",
        "整数运算结果过大",
    ),
    ("{% set ns = namespace(x=7) %}{% for i in range(99) %}{% set ns.x = ns.x ** 2 %}{% endfor %}", "乘方结果过大"),
    ("{{ (10**99) * (10**99) }}", "整数运算结果过大"),
    ("{{ 10**101 }}", "乘方结果过大"),
    ("{{ ('x' * 9000000) + ('x' * 9000000) }}", "拼接结果过大（18,000,000 项）"),
    ("{{ ('x' * 1000)|replace('', 'y' * 100000) }}", "过滤器 replace 的结果过大（1,000 字符中 1,001 处替换）"),
    ("{{ ('x' * 100000)|join('y' * 1000) }}", "过滤器 join 的结果过大"),
]


@pytest.mark.parametrize(
    ("payload", "expected", "part"),
    [(*case, "body") for case in LIMIT_CASES]
    + [(*case, part) for case in LIMIT_CASES[:3] for part in ("footer", "title")],
)
def test_limits_stop_a_render(workbook: Path, tmp_path: Path, payload: str, expected: str, part: str) -> None:
    template = make_template(tmp_path / "循环模板.docx", payload, part)
    start = time.monotonic()
    with limits(seconds=1.5, chars=20 * 2**20, memory_mb=3000):
        code, text = run(["report", str(workbook), "-o", str(tmp_path / "out"), "--template", str(template)])
    assert code == 1, text
    assert "循环模板.docx" in text and expected in text, text
    assert "Traceback" not in text
    assert time.monotonic() - start < 30
    assert not list((tmp_path / "out").glob("*.docx")), "no document is written when a render is stopped"


def test_memory_limit(workbook: Path, tmp_path: Path) -> None:
    # A list that grows without producing output: stopped by the memory watch, not by the clock.
    payload = (
        "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}"
        "{% set _ = ns.l.append('x' * 5000000 ~ i) %}{% endfor %}"
    )
    template = make_template(tmp_path / "内存模板.docx", payload, "body")
    with limits(seconds=60, memory_mb=300):
        code, text = run(["report", str(workbook), "-o", str(tmp_path / "out"), "--template", str(template)])
    assert code == 1, text
    assert "内存模板.docx" in text and "内存增加超过" in text, text


def test_external_target_in_template_is_refused(workbook: Path, tmp_path: Path) -> None:
    template = make_template(tmp_path / "外链模板.docx", "{{ title }}", "body")
    data = io.BytesIO()
    with zipfile.ZipFile(template) as zin, zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            blob = zin.read(info)
            if info.filename == "word/_rels/document.xml.rels":
                blob = blob.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/image" Target="file:///etc/passwd" TargetMode="External"/></Relationships>',
                )
            zout.writestr(info, blob)
    template.write_bytes(data.getvalue())
    code, text = run(["report", str(workbook), "-o", str(tmp_path / "out"), "--template", str(template)])
    assert code == 1
    assert "外链模板.docx" in text and "file:///etc/passwd" in text and "外部" in text, text


def test_integer_bound_is_not_the_clock(workbook: Path, tmp_path: Path) -> None:
    # With a generous time limit, repeated squaring is refused by the size bound at once.
    payload = "{% set ns = namespace(x=3) %}{% for i in range(60) %}{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x }}"
    template = make_template(tmp_path / "平方模板.docx", payload, "body")
    start = time.monotonic()
    with limits(seconds=600):
        code, text = run(["report", str(workbook), "-o", str(tmp_path / "out"), "--template", str(template)])
    assert code == 1 and "平方模板.docx：" in text and "整数运算结果过大（超过约 100 位数字）" in text, text
    assert time.monotonic() - start < 10


def test_numbers_up_to_a_googol_still_work(workbook: Path, tmp_path: Path) -> None:
    template = make_template(tmp_path / "大数模板.docx", "{{ 10**100 }}|{{ 2**10 * 3 + 1 - 2 }}", "body")
    code, text = run(["report", str(workbook), "-o", str(tmp_path / "out"), "--template", str(template)])
    assert code == 0, text
    assert "1" + "0" * 100 + "|3071" in document_text(tmp_path / "out")


# --- the context is plain data; the picture is an opaque marker ------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n"
    + struct.pack(">I", 13)
    + b"IHDR"
    + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    + struct.pack(">I", zlib.crc32(b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)))
    + struct.pack(">I", len(zlib.compress(b"\x00\xff\x00\x00")))
    + b"IDAT"
    + zlib.compress(b"\x00\xff\x00\x00")
    + struct.pack(">I", zlib.crc32(b"IDAT" + zlib.compress(b"\x00\xff\x00\x00")))
    + struct.pack(">I", 0)
    + b"IEND"
    + struct.pack(">I", zlib.crc32(b"IEND"))
)


class FakeChart:
    """A chart maker that needs no CJK font: every letter gets a picture in its context."""

    available = True

    def png(self, dimensions: list) -> bytes:
        return PNG


@pytest.fixture
def charts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("perf_excel.documents.letters.ChartMaker", FakeChart)


_PLAIN = (str, int, float, bool, type(None))


def assert_plain(value: object, path: str = "context") -> None:
    """Fail on anything a template could call or take attributes from."""
    kind = type(value)
    if kind in _PLAIN:
        return
    if kind is Picture:
        assert [a for a in dir(value) if not a.startswith("_")] == [], path
        return
    assert not callable(value), path
    if kind is dict:
        for key, item in value.items():
            assert type(key) is str, f"{path}: key {key!r}"
            assert_plain(item, f"{path}[{key!r}]")
    elif kind in (list, tuple):
        for k, item in enumerate(value):
            assert_plain(item, f"{path}[{k}]")
    else:
        pytest.fail(f"{path}: a {kind.__module__}.{kind.__qualname__} in a template context")


def _contexts(kind: str) -> list[dict]:
    from perf_excel.core.anomalies import Anomaly
    from perf_excel.documents.context import LetterContexts, bulletin_context
    from perf_excel.documents.samples import sample_results, sample_years
    from perf_excel.documents.yearbook import yearbook_context

    results = sample_results()
    if kind == "bulletin":
        anomaly = Anomaly("同比异动", "A01", "甲", "I1", "指标一", 1.5, "上年 0.5", "数据", "C3")
        return [bulletin_context(results), bulletin_context(results, [anomaly])]
    if kind in ("letter", "merged letters"):
        builder = LetterContexts(results)
        contexts = [builder.context(u, lambda ctx: Picture(PNG, 130)) for u in results.units]
        return contexts if kind == "letter" else [{"letters": contexts}]
    return [yearbook_context(sample_years())]


@pytest.mark.parametrize("kind", ["bulletin", "letter", "merged letters", "yearbook"])
def test_contexts_hold_plain_data_only(kind: str) -> None:
    for ctx in _contexts(kind):
        assert_plain(ctx)
    if kind == "letter":
        assert type(_contexts(kind)[0]["chart"]) is Picture


def test_plain_context_converts_and_cleans() -> None:
    from datetime import date, datetime

    import numpy as np
    from markupsafe import Markup

    value = {
        "n": np.int64(3),
        "x": np.float64(1.5),
        "flag": np.bool_(True),
        "day": date(2026, 1, 20),
        "moment": datetime(2026, 1, 20, 8, 30),
        "name": "甲\x01单\x0b位\x00\x07\x0c\ud800",
        "markup": Markup("<b>"),
        "other": Path("a/b"),
        "rows": ({"k": np.int32(1)},),
    }
    out = plain_context(value)
    assert out == {
        "n": 3,
        "x": 1.5,
        "flag": True,
        "day": "2026-01-20",
        "moment": "2026-01-20 08:30:00",
        "name": "甲单位",
        "markup": "<b>",
        "other": "a/b",
        "rows": ({"k": 1},),
    }
    assert [type(out[k]) for k in ("n", "x", "flag", "markup")] == [int, float, bool, str]
    assert_plain(out)


#: Attribute access on anything reachable from the context: (payload, fragment of the refusal).
OBJECT_ESCAPES = [
    ("{{ chart.owner.render_to({}, EVIL) }}", "数据中没有 “owner”"),
    ("{{ chart.tpl.save(EVIL) }}", "数据中没有 “tpl”"),
    ("{{ (chart|attr('owner')).render_to({}, EVIL) }}", "owner"),
    ("{{ '{0.owner}'.format(chart) }}", "owner"),
    ("{{ namespace(a=chart).a.owner }}", "数据中没有 “owner”"),
    ("{{ chart.__class__ }}", "模板不允许访问属性 “__class__”"),
    ("{{ chart._png }}", "模板不允许访问属性 “_png”"),
    ("{{ chart.__html__() }}", "模板不允许访问属性 “__html__”"),
    ("{{ unit.total.real }}", "模板不允许访问属性 “real”"),
    ("{{ unit.rank.bit_length() }}", "模板不允许访问属性 “bit_length”"),
    ("{{ unit.name.encode('utf-8') }}", "模板不允许访问属性 “encode”"),
    ("{{ title.ljust(999999999) }}", "模板不允许访问属性 “ljust”"),
    ("{{ dimensions.pop() }}", "模板不允许访问属性 “pop”"),
    ("{{ unit.update({'name': 1}) }}", "模板不允许访问属性 “update”"),
    ("{{ unit.setdefault('x', 1) }}", "模板不允许访问属性 “setdefault”"),
    ("{% for d in dimensions %}{{ loop.__class__ }}{% endfor %}", "模板不允许访问属性 “__class__”"),
    ("{{ cycler('a').items }}", "模板不允许访问属性 “items”"),
    ("{% macro m() %}{% endmacro %}{{ m.arguments }}", "模板不允许访问属性 “arguments”"),
]


@pytest.mark.parametrize(("payload", "expected"), OBJECT_ESCAPES)
def test_objects_in_the_letter_context_are_closed(
    workbook: Path, tmp_path: Path, charts: None, payload: str, expected: str
) -> None:
    evil = tmp_path / "evil" / "deep" / "x.docx"
    template = make_template(tmp_path / "反馈单模板.docx", payload.replace("EVIL", repr(str(evil))), "body")
    out = tmp_path / "out"
    code, text = run(["report", str(workbook), "-o", str(out), "--letters", "--letter-template", str(template)])
    assert code == 1, text
    assert "反馈单模板.docx（正文）" in text and expected in text, text
    assert "Traceback" not in text
    assert not (tmp_path / "evil").exists()
    assert not list((out / "反馈单").glob("*.docx")) if (out / "反馈单").exists() else True


@pytest.mark.parametrize("engine", ["prepared", "docxtpl"])
@pytest.mark.parametrize("payload", ["{{ chart.owner }}", "{{ chart.tpl }}", "{{ chart.__class__.__mro__ }}"])
def test_picture_is_opaque_in_both_engines(tmp_path: Path, engine: str, payload: str) -> None:
    from perf_excel.documents import PreparedTemplate, render_docx
    from perf_excel.documents.env import make_env

    data = make_template(tmp_path / "t.docx", payload, "body").read_bytes()
    ctx = _contexts("letter")[0]
    with pytest.raises(TemplateError) as info:
        if engine == "prepared":
            PreparedTemplate(data, "t.docx", make_env()).render(ctx)
        else:
            render_docx("t.docx", data, ctx, tmp_path / "out.docx", make_env())
    assert "t.docx" in str(info.value) and ("数据中没有" in str(info.value) or "模板不允许访问属性" in str(info.value))
    assert not (tmp_path / "out.docx").exists()


@pytest.mark.parametrize("engine", ["prepared", "docxtpl"])
def test_picture_is_drawn_where_output(tmp_path: Path, engine: str) -> None:
    from perf_excel.documents import PreparedTemplate, render_docx
    from perf_excel.documents.env import make_env

    data = make_template(tmp_path / "t.docx", "图表：{{ chart }}", "body").read_bytes()
    ctx = _contexts("letter")[0]
    if engine == "prepared":
        blob = PreparedTemplate(data, "t.docx", make_env()).render(ctx)
    else:
        buf = io.BytesIO()
        render_docx("t.docx", data, ctx, buf, make_env())
        blob = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == 1 and z.read(media[0]) == PNG
        assert b"<w:drawing>" in z.read("word/document.xml")


def test_letters_with_charts_and_ordinary_template_code(workbook: Path, tmp_path: Path, charts: None) -> None:
    payload = (
        "{% for d in dimensions %}{{ loop.index }}:{{ d.name|upper }};{% endfor %}"
        "{% set ns = namespace(a=[]) %}{% set _ = ns.a.append(1) %}{{ ns.a|length }}|{{ unit.items()|list|length }}|"
        "{{ '{}-{}'.format(unit.code, unit.name) }}|{{ unit.name.startswith('甲') }}|{{ chart }}"
    )
    template = make_template(tmp_path / "反馈单模板.docx", payload, "body")
    out = tmp_path / "out"
    code, text = run(
        ["report", str(workbook), "-o", str(out), "--letters", "--merged", "--letter-template", str(template)]
    )
    assert code == 0, text
    letters = sorted((out / "反馈单").glob("U1*.docx"))
    assert len(letters) == 1
    body = Document(letters[0]).paragraphs[0].text
    assert body == "1:经济;1|11|U1-甲单位|True|", body
    with zipfile.ZipFile(letters[0]) as z:
        assert any(n.startswith("word/media/") for n in z.namelist())


# --- links to outside files: in the template, and in what its code renders -------------------------

CORPUS = Path(__file__).parent / "data" / "malicious"


def _no_document(folder: Path) -> bool:
    return not list(folder.rglob("*.docx")) if folder.exists() else True


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_linking_template_is_refused(workbook: Path, tmp_path: Path, name: str) -> None:
    _, expected = SHAPES[name]
    out = tmp_path / "out"
    code, text = run(["report", str(workbook), "-o", str(out), "--pdf", "--template", str(CORPUS / name)])
    assert code == 1, text
    assert text.startswith(f"{name}：") and expected in text, text
    assert _no_document(out)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_linking_letter_template_is_refused(workbook: Path, tmp_path: Path, name: str) -> None:
    build, expected = SHAPES[name]
    template = tmp_path / name
    template.write_bytes(docx_bytes(build(base_parts("letter.docx"))))
    code, text = run(
        ["report", str(workbook), "-o", str(tmp_path / "out"), "--letters", "--letter-template", str(template)]
    )
    assert code == 1 and f"{name}：" in text and expected in text, text
    assert _no_document(tmp_path / "out" / "反馈单")


@pytest.mark.parametrize("engine", ["bulletin", "letter"])
@pytest.mark.parametrize("name", sorted(RENDERED_SHAPES))
def test_links_assembled_by_template_code_are_refused(workbook: Path, tmp_path: Path, name: str, engine: str) -> None:
    build, expected = RENDERED_SHAPES[name]
    template = tmp_path / name
    if engine == "bulletin":
        template = CORPUS / name
        argv = ["--template", str(template)]
    else:
        template.write_bytes(docx_bytes(build(base_parts("letter.docx"))))
        argv = ["--letters", "--letter-template", str(template)]
    # The template itself passes the check: its text holds no link yet.
    links.check_template(name, template.read_bytes())
    out = tmp_path / "out"
    code, text = run(["report", str(workbook), "-o", str(out), *argv])
    assert code == 1 and f"{name}" in text and expected in text, text
    assert _no_document(out / "反馈单" if engine == "letter" else out)


@pytest.mark.parametrize("template", ["bulletin.docx", "letter.docx"])
def test_genuine_hyperlink_is_allowed(workbook: Path, tmp_path: Path, template: str) -> None:
    url = "https://www.gov.cn/zhengce/"
    parts = add_rel(
        base_parts(template),
        "word/_rels/document.xml.rels",
        f'<Relationship Id="rIdH" Type="{HYPERLINK}" Target="{url}" TargetMode="External"/>',
    )
    link = '<w:hyperlink r:id="rIdH"><w:r><w:t>政策文件</w:t></w:r></w:hyperlink>'
    parts = in_body(parts, f'<w:p xmlns:w="{W_NS}" xmlns:r="{R_NS}">{link}</w:p>')
    path = tmp_path / f"链接{template}"
    path.write_bytes(docx_bytes(parts))
    option = ["--template"] if template == "bulletin.docx" else ["--letters", "--letter-template"]
    code, text = run(["report", str(workbook), "-o", str(tmp_path / "out"), *option, str(path)])
    assert code == 0, text
    written = [
        d for d in (tmp_path / "out").rglob("*.docx") if d.parent.name == "反馈单" or template == "bulletin.docx"
    ]
    assert written
    for docx in written:
        with zipfile.ZipFile(docx) as z:
            assert "政策文件" in z.read("word/document.xml").decode()
            assert url in z.read("word/_rels/document.xml.rels").decode()


def test_part_link_problem_reads_xml_not_text() -> None:
    # The same picture-by-hyperlink in other prefixes, quotes and spacing.
    xml = (
        '<x:document xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        "xmlns:q='http://schemas.openxmlformats.org/officeDocument/2006/relationships' "
        "xmlns:d='http://schemas.openxmlformats.org/drawingml/2006/main'>"
        "<x:body><d:blip  q:embed = 'rId&#55;' /></x:body></x:document>"
    )
    problem = links.part_link_problem("word/document.xml", xml, {"rId7": "http://h/x.png"})
    assert (
        problem is not None and "word/document.xml 中的 blip 使用了指向文件外部的链接（→ “http://h/x.png”）" in problem
    )
    assert links.part_link_problem("word/document.xml", xml.replace("rId&#55;", "rId8"), {"rId7": "x"}) is None
    utf16 = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:body><w:fldSimple w:instr="INCLUDEPICTURE x"/></w:body></w:document>'
    ).encode("utf-16")
    assert "域代码 “INCLUDEPICTURE x”" in (links.part_link_problem("word/document.xml", utf16) or "")


# --- control characters in the data ------------------------------------------------------------

CONTROL_NAMES = ["甲\x01单位", "乙\x0b单位", "丙\x00单位", "丁\x07单位", "戊\x0c单位"]


def test_control_characters_in_unit_names(tmp_path: Path) -> None:
    # hostile_xlsx writes control characters as Excel does: _x0001_, _x000B_, _x0000_, _x0007_, _x000C_.
    header = ["编码", "维度", "指标名称", "分值", "计分方法", "目标值"]
    units = [[f"U{k}", name, "区"] for k, name in enumerate(CONTROL_NAMES, start=1)]
    sheets = [
        Sheet("设置", [["项目", "值"], ["考核名称", "2025年度\x01考核"], ["考核年度", 2025]]),
        Sheet("指标", [header, ["A1", "经济\x0c", "甲", 100, "完成比例", 100]]),
        Sheet("单位", [["编码", "名称", "类别"], *units]),
        Sheet("数据", [["单位编码", "A1"], *([u[0], 80 + k] for k, u in enumerate(units))]),
    ]
    book = write_xlsx(tmp_path / "控制字符.xlsx", sheets)
    out = tmp_path / "out"
    code, text = run(["report", str(book), "-o", str(out), "--letters", "--merged"])
    assert code == 0, text
    assert "模板" not in text, text
    bulletin = next(out.glob("*通报.docx"))
    body = "\n".join(c.text for t in Document(bulletin).tables for r in t.rows for c in r.cells)
    for clean in ["甲单位", "乙单位", "丙单位", "丁单位", "戊单位"]:
        assert clean in body
    letters = list((out / "反馈单").glob("*.docx"))
    assert len(letters) == 6  # five letters and the merged one
    for letter in letters:
        Document(letter)  # readable
    code, text = run(["yearbook", str(book), "-o", str(tmp_path / "yb")])
    assert code == 0, text


@pytest.mark.parametrize("engine", ["prepared", "docxtpl"])
def test_control_character_blames_the_data(tmp_path: Path, engine: str) -> None:
    from perf_excel.documents import PreparedTemplate, load_template, render_docx
    from perf_excel.documents.env import make_env

    name, data = load_template(None, "letter.docx")
    ctx = _contexts("letter")[0]
    ctx["unit"] = dict(ctx["unit"], name="甲\x01单位")  # a context not built by context.py
    with pytest.raises(InputError) as info:
        if engine == "prepared":
            PreparedTemplate(data, name, make_env()).render(ctx)
        else:
            render_docx(name, data, ctx, tmp_path / "x.docx", make_env())
    message = str(info.value)
    assert message.startswith(
        "数据中的文字 “甲单位” 含有 Word 文档不能容纳的控制字符 U+0001，无法生成文档（letter.docx"
    ), message
    assert "模板错误" not in message and "渲染结果不是有效的 XML" not in message


# --- nesting -----------------------------------------------------------------------------------

NESTED = [
    "{% if 1 %}" * 3000 + "x" + "{% endif %}" * 3000,
    "{% for i in [1] %}" * 120 + "x" + "{% endfor %}" * 120,
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "{{ " + "[" * 3000 + "1" + "]" * 3000 + " }}",
    "{{ 1" + "|string" * 20000 + " }}",
    "{{ title" + ".x" * 20000 + " }}",
    "{{ " + "not " * 5000 + "1 }}",
]


@pytest.mark.parametrize(
    ("payload", "part"),
    [(p, "body") for p in NESTED] + [(p, part) for p in NESTED[:3:2] for part in ("header", "footer")],
)
def test_deep_nesting_is_refused(workbook: Path, tmp_path: Path, payload: str, part: str) -> None:
    # (A document property holds at most 255 characters: too few to nest deep.)
    template = make_template(tmp_path / "嵌套模板.docx", payload, part)
    code, text = run(["report", str(workbook), "-o", str(tmp_path / "out"), "--template", str(template)])
    assert code == 1, text
    assert "嵌套模板.docx" in text and "模板嵌套过深或过于复杂" in text, text
    assert "Traceback" not in text and "RecursionError" not in text
    code, text = run(["templates", "check", str(template), "--kind", "bulletin"])
    assert code == 1 and "模板嵌套过深或过于复杂" in text, text


# --- template paths ------------------------------------------------------------------------------


def _run_with_timeout(argv: list[str], seconds: float = 20) -> tuple[int, str]:
    result: list[tuple[int, str]] = []
    thread = threading.Thread(target=lambda: result.append(run(argv)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"{argv} did not finish in {seconds} s"
    return result[0]


def _book_with_setting(folder: Path, key: str, value: str) -> Path:
    header = ["编码", "维度", "指标名称", "分值", "计分方法", "目标值"]
    return write_xlsx(
        folder / "考核表.xlsx",
        [
            Sheet("设置", [["项目", "值"], ["考核名称", "2025年度考核"], [key, value]]),
            Sheet("指标", [header, ["A1", "经济", "甲", 100, "完成比例", 100]]),
            Sheet("单位", [["编码", "名称", "类别"], ["U1", "甲单位", "区"]]),
            Sheet("数据", [["单位编码", "A1"], ["U1", 90]]),
        ],
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\x00b.docx", "通报模板 “a\\x00b.docx” 含有空字符（NUL），不是有效的文件名"),
        ("x" * 300 + ".docx", "模板文件名或路径过长，无法打开"),
        ("fifo.docx", "fifo.docx：不是普通文件（可能是管道、设备或套接字），不能作为 Word 模板"),
        ("子文件夹", "子文件夹：这是一个文件夹，不是 Word 模板"),
    ],
    ids=["nul", "long", "fifo", "folder"],
)
def test_bad_template_path_in_settings(tmp_path: Path, value: str, expected: str) -> None:
    os.mkfifo(tmp_path / "fifo.docx")
    (tmp_path / "子文件夹").mkdir()
    book = _book_with_setting(tmp_path, "通报模板", value)
    code, text = _run_with_timeout(["report", str(book), "-o", str(tmp_path / "out")])
    assert code == 1, text
    assert expected in text, text
    assert "Traceback" not in text


@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "symlink to fifo"])
def test_template_option_reads_regular_files_only(workbook: Path, tmp_path: Path, target: str) -> None:
    fifo = tmp_path / "管道.docx"
    os.mkfifo(fifo)
    path = {"fifo": fifo, "/dev/zero": Path("/dev/zero")}.get(target)
    if path is None:
        path = tmp_path / "链接.docx"
        path.symlink_to(fifo)
    for argv in (
        ["report", str(workbook), "-o", str(tmp_path / "out"), "--template", str(path)],
        ["report", str(workbook), "-o", str(tmp_path / "out"), "--letters", "--letter-template", str(path)],
        ["templates", "check", str(path), "--kind", "letter"],
    ):
        code, text = _run_with_timeout(argv)
        assert code == 1 and f"{path.name}：不是普通文件" in text, text


# --- the corpus --------------------------------------------------------------------------------


def test_corpus_holds_the_template_shapes() -> None:
    for name in [*SHAPES, *RENDERED_SHAPES]:
        assert (CORPUS / name).is_file(), f"run scripts/make_malicious_corpus.py: {name} is missing"
    for name in ("template_picture_owner.docx", "template_deep_nesting.docx", "template_int_squaring.docx"):
        assert (CORPUS / name).is_file(), name


@pytest.mark.parametrize(
    ("name", "option", "expected"),
    [
        ("template_picture_owner.docx", "--letter-template", "数据中没有 “owner”"),
        ("template_deep_nesting.docx", "--template", "模板嵌套过深或过于复杂"),
        ("template_int_squaring.docx", "--template", "整数运算结果过大"),
    ],
)
def test_corpus_jinja_templates(
    workbook: Path, tmp_path: Path, charts: None, name: str, option: str, expected: str
) -> None:
    argv = ["report", str(workbook), "-o", str(tmp_path / "out"), option, str(CORPUS / name)]
    if option == "--letter-template":
        argv.insert(4, "--letters")
    code, text = run(argv)
    assert code == 1 and text.splitlines()[-1].startswith(name) and expected in text, text
    assert not Path("/tmp/perf_excel_template_escape").exists()


def test_corpus_control_character_workbook(tmp_path: Path) -> None:
    code, text = run(["report", str(CORPUS / "unit_names_control.xlsx"), "-o", str(tmp_path / "out"), "--letters"])
    assert code == 0, text
    assert "甲单位" in document_text(tmp_path / "out")
