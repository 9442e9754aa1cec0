"""The bulletin's fast path (PreparedTemplate, loaded once per template) gives the parts docxtpl gives,
and ``perf-excel report`` reads the workbook once."""

from __future__ import annotations

import io
import re
import zipfile
from html import escape
from pathlib import Path

import pytest
from support.canon import canonical_parts, diff_parts

from perf_excel.cli import main
from perf_excel.cli.report import _anomalies, _load
from perf_excel.documents import load_template, render_docx
from perf_excel.documents.bulletin import bulletin_bytes
from perf_excel.documents.context import bulletin_context
from perf_excel.documents.env import make_env
from perf_excel.documents.samples import sample_results
from perf_excel.xlsx import reader as workbook

ROOT = Path(__file__).resolve().parents[1]
WORKBOOKS = ["demo_city_2025.xlsx", "demo_kunming_2025.xlsx", "demo_yueyang_2025.xlsx", "demo_city_2024.xlsx"]


def docxtpl_bulletin(results, anomalies=None) -> bytes:
    """The reference: a new DocxTemplate, as the bulletin was rendered before."""
    name, data = load_template(None, "bulletin.docx")
    buf = io.BytesIO()
    render_docx(name, data, bulletin_context(results, anomalies), buf, make_env())
    return buf.getvalue()


def assert_same_parts(fast: bytes, reference: bytes) -> None:
    diff = diff_parts(canonical_parts(reference, media="size"), canonical_parts(fast, media="size"))
    assert not diff, diff


def test_sample_bulletin_same_as_docxtpl() -> None:
    results = sample_results()
    assert_same_parts(bulletin_bytes(results), docxtpl_bulletin(results))


@pytest.mark.parametrize("name", WORKBOOKS)
def test_demo_bulletin_with_anomalies_same_as_docxtpl(name: str, capsys: pytest.CaptureFixture) -> None:
    path = ROOT / "workbooks" / name
    results, tables = _load(path)
    anomalies = _anomalies(results, path, None, tables)
    assert_same_parts(bulletin_bytes(results, anomalies=anomalies), docxtpl_bulletin(results, anomalies))


def test_anomalies_from_tables_same_as_reading_again(capsys: pytest.CaptureFixture) -> None:
    path = ROOT / "workbooks" / "demo_city_2025.xlsx"
    results, tables = _load(path)
    from_tables = _anomalies(results, path, None, tables)
    assert from_tables == _anomalies(results, path, None, workbook.read_tables(path))
    assert from_tables  # Q05/S02 is blank in the demo: at least that one


def test_report_reads_the_workbook_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = workbook.read_tables

    def counting(path, *args, **kwargs):
        calls.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr("perf_excel.xlsx.reader.read_tables", counting)
    monkeypatch.setattr("perf_excel.xlsx.history.read_tables", counting)
    assert main(["report", str(ROOT / "workbooks" / "demo_city_2025.xlsx"), "-o", str(tmp_path)]) == 0
    assert calls == ["demo_city_2025.xlsx"]
    assert len(list(tmp_path.glob("*.docx"))) == 1


def test_bulletin_xml_keeps_chinese_as_utf8() -> None:
    """Not ``&#38738;&#23665;&#21439;`` for 青山县: a search of the raw XML finds the names, as with docxtpl."""
    results = sample_results()
    with zipfile.ZipFile(io.BytesIO(bulletin_bytes(results))) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert not re.search(r"&#(x[0-9a-fA-F]{3,}|[0-9]{3,});", xml)
    for name in results.table["name"]:
        assert xml.count(escape(name)) >= 1, name
