"""One pipeline: ``batch`` renders through the functions ``report`` uses, 设置 templates included."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from perf_excel.batch import OK, UNCHANGED, run_batch
from perf_excel.cli import main
from perf_excel.documents import TEMPLATE_DIR

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"
BULLETIN_MARK = "PIPELINE-BULLETIN-MARK"
LETTER_MARK = "PIPELINE-LETTER-MARK"


def _marked_template(packaged: str, target: Path, mark: str) -> None:
    document = docx.Document(str(Path(TEMPLATE_DIR) / packaged))
    document.add_paragraph(mark)
    document.save(str(target))


def _body(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


@pytest.fixture()
def workbook_with_templates(tmp_path: Path) -> Path:
    """The demo workbook whose 设置 names a 通报模板 and a 反馈单模板 in its own folder."""
    folder = tmp_path / "in"
    (folder / "模板").mkdir(parents=True)
    _marked_template("bulletin.docx", folder / "模板" / "通报.docx", BULLETIN_MARK)
    _marked_template("letter.docx", folder / "反馈单模板.docx", LETTER_MARK)
    wb = openpyxl.load_workbook(DEMO)
    ws = wb["设置"]
    ws.append(["通报模板", "模板/通报.docx"])
    ws.append(["反馈单模板", "反馈单模板.docx"])
    path = folder / "考核.xlsx"
    wb.save(path)
    return path


def _documents(out: Path) -> tuple[Path, list[Path]]:
    [bulletin] = [p for p in out.glob("*.docx")]
    letters = sorted((out / "反馈单").glob("*.docx"))
    return bulletin, letters


def test_batch_uses_the_templates_named_in_settings_as_report_does(
    workbook_with_templates: Path, tmp_path: Path
) -> None:
    assert main(["report", str(workbook_with_templates), "-o", str(tmp_path / "report"), "--letters"]) == 0
    summary = run_batch(workbook_with_templates.parent, tmp_path / "batch", jobs=1)
    assert [(f.source, f.status) for f in summary.files] == [("考核.xlsx", OK)]

    for out in (tmp_path / "report", tmp_path / "batch" / "考核"):
        bulletin, letters = _documents(out)
        assert BULLETIN_MARK in _body(bulletin) and LETTER_MARK not in _body(bulletin)
        assert letters and all(LETTER_MARK in _body(p) for p in letters)
        assert BULLETIN_MARK not in _body(letters[0])
    report_letters = [p.name for p in _documents(tmp_path / "report")[1]]
    assert [p.name for p in _documents(tmp_path / "batch" / "考核")[1]] == report_letters


def test_a_changed_settings_template_converts_the_workbook_again(workbook_with_templates: Path, tmp_path: Path) -> None:
    src, out = workbook_with_templates.parent, tmp_path / "out"
    assert run_batch(src, out, jobs=1).files[0].status == OK
    assert run_batch(src, out, jobs=1).files[0].status == UNCHANGED
    _marked_template("letter.docx", src / "反馈单模板.docx", "PIPELINE-LETTER-MARK-2")
    assert run_batch(src, out, jobs=1).files[0].status == OK
    _, letters = _documents(out / "考核")
    assert "PIPELINE-LETTER-MARK-2" in _body(letters[0])


def test_a_settings_template_outside_the_workbook_folder_fails_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _marked_template("bulletin.docx", tmp_path / "外面.docx", BULLETIN_MARK)
    wb = openpyxl.load_workbook(DEMO)
    wb["设置"].append(["通报模板", "../外面.docx"])
    wb.save(folder / "考核.xlsx")
    summary = run_batch(folder, tmp_path / "out", jobs=1)
    [record] = summary.files
    assert (record.status, record.kind) == ("failed", "input")
    assert "通报模板 “../外面.docx” 指向文件夹" in record.reason and "之外" in record.reason
    assert not (tmp_path / "out" / "考核").exists()
