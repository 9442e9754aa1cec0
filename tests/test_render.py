"""The bulletin and feedback letters of the demo workbook: they open, and no unit or character is lost."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import docx
import pytest

from perf_excel.cli import main
from perf_excel.core.assess import Results, assess
from perf_excel.documents import render_bulletin, render_letters
from perf_excel.xlsx.reader import read_workbook

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"


@cache
def demo_results() -> Results:
    scheme, dataset, _ = read_workbook(DEMO)
    return assess(scheme, dataset)


def document_text(path: Path) -> str:
    """Every paragraph of the body, its tables, headers and footers, one per line."""
    d = docx.Document(str(path))
    lines = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            lines.append("|".join(c.text for c in row.cells))
    for s in d.sections:
        for part in (s.footer, s.even_page_footer):
            lines += [p.text for p in part.paragraphs]
    return "\n".join(lines)


def test_demo_bulletin_opens_and_names_every_unit(tmp_path: Path) -> None:
    path = render_bulletin(demo_results(), tmp_path)
    text = document_text(path)
    names = [u.name for u in demo_results().scheme.units]
    assert len(names) == 30
    missing = [n for n in names if n not in text]
    assert missing == []
    assert "市科创R&D中心<试点>" in text


def test_report_command_writes_the_bulletin(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", str(DEMO), "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    files = list(tmp_path.glob("*.docx"))
    assert len(files) == 1 and str(files[0]) in out
    assert "市科创R&D中心<试点>" in document_text(files[0])


@pytest.mark.parametrize(
    "unit, expected",
    [
        # Hand-checked from the demo workbook's 数据/加减分/否决 sheets.
        ("X03", ["南湖区", "98.57", "第1名", "一票否决", "安全生产"]),
        ("X01", ["青山区", "87.19", "超过加分上限3分", "按3分计入"]),
        ("B04", ["市科技局", "58.54×100÷90＝65.04"]),
        ("B12", ["市科创R&D中心<试点>"]),
    ],
)
def test_letters_show_the_unit_and_its_reasons(tmp_path: Path, unit: str, expected: list[str]) -> None:
    run = render_letters(demo_results(), tmp_path, units=[unit], charts=False)
    text = document_text(run.files[0])
    for piece in expected:
        assert piece in text
