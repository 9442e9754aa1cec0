"""Hostile Word templates: sandbox escapes, endless loops, enormous output, outside links.

Each payload is put in the body, a header, a footer and a document property of a template
given to ``perf-excel report --template``. The run must end with exit code 0 or 1, never a
traceback; an error names the template; a document that was written holds no trace of
Python internals.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document
from hostile_xlsx import Sheet, write_xlsx

from perf_excel.cli import main
from perf_excel.render.limits import limits

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
    ("{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}", "MB"),
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
