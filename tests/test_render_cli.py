"""The report, templates and --pdf commands as a user runs them: outputs, messages and exit codes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest

from perf_excel.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"


def test_report_with_letters_and_merged(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", str(DEMO), "-o", str(tmp_path), "--letters", "--merged", "--no-chart"]) == 0
    letters = sorted((tmp_path / "反馈单").glob("*_反馈单.docx"))
    assert len(letters) == 30
    # The file name has _ for < and > (Windows forbids them); the letter keeps the name intact.
    b12 = tmp_path / "反馈单" / "B12_市科创R&D中心_试点__反馈单.docx"
    assert b12 in letters
    assert "市科创R&D中心<试点>：" in [p.text for p in docx.Document(str(b12)).paragraphs]
    merged = list((tmp_path / "反馈单").glob("*合订*.docx"))
    assert len(merged) == 1 and len(docx.Document(str(merged[0])).sections) == 30
    assert "合订反馈单已写入" in capsys.readouterr().out


def test_templates_export_then_check(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["templates", "export", str(tmp_path)]) == 0
    exported = sorted(p.name for p in tmp_path.iterdir())
    assert exported == ["bulletin.docx", "letter.docx", "yearbook.docx"]
    for name in exported:
        assert main(["templates", "check", str(tmp_path / name)]) == 0
    out = capsys.readouterr().out
    assert "bulletin.docx：检查通过" in out and "yearbook.docx：检查通过" in out
    # A second export does not overwrite the user's edits.
    assert main(["templates", "export", str(tmp_path)]) == 1
    assert "文件已存在，未覆盖" in capsys.readouterr().err


def user_template(tmp_path: Path, text: str, name: str = "我的通报.docx") -> Path:
    d = docx.Document(str(ROOT / "templates" / "bulletin.docx"))
    d.add_paragraph(text)
    path = tmp_path / name
    d.save(str(path))
    return path


def test_templates_check_flags_unknown_variables(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = user_template(tmp_path, "{{ nmae }}")
    assert main(["templates", "check", str(path), "--kind", "bulletin"]) == 1
    assert "错误  我的通报.docx：未定义的变量 “nmae”（数据不提供）" in capsys.readouterr().out


def test_templates_check_needs_kind_when_name_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = user_template(tmp_path, "", name="模板.docx")
    assert main(["templates", "check", str(path)]) == 2
    assert "请用 --kind 指定" in capsys.readouterr().err


def test_report_with_custom_template(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = user_template(tmp_path, "本通报由{{ issuer }}印发。")
    assert main(["report", str(DEMO), "-o", str(tmp_path / "out"), "--template", str(path)]) == 0
    out = next((tmp_path / "out").glob("*.docx"))
    assert "本通报由示范市绩效考核委员会办公室印发。" in [p.text for p in docx.Document(str(out)).paragraphs]


def test_report_with_broken_template_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = user_template(tmp_path, "{{ nmae }}", name="bulletin.docx")
    assert main(["report", str(DEMO), "-o", str(tmp_path / "out"), "--template", str(path)]) == 1
    err = capsys.readouterr().err
    assert "bulletin.docx：未定义的变量 “nmae”（标签 “{{ nmae }}”）" in err
    assert "Traceback" not in err


def test_pdf_without_soffice_says_so(tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch) -> None:
    monkeypatch.setenv("PERF_EXCEL_SOFFICE", "")
    assert main(["report", str(DEMO), "-o", str(tmp_path), "--pdf"]) == 1
    err = capsys.readouterr().err
    assert "未找到 LibreOffice（soffice），无法生成 PDF" in err
    # The .docx is written before the conversion is attempted.
    assert list(tmp_path.glob("*.docx"))


def test_bulletin_zip_has_no_leftovers(tmp_path: Path) -> None:
    assert main(["report", str(DEMO), "-o", str(tmp_path)]) == 0
    data = next(tmp_path.glob("*.docx")).read_bytes()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not [n for n in names if "stylesWithEffects" in n or "thumbnail" in n or "customXml" in n]
    assert not list(tmp_path.glob(".*.tmp"))


def test_template_named_in_settings_sheet(tmp_path: Path) -> None:
    import shutil

    import openpyxl

    user_template(tmp_path, "设置中指定的模板：{{ doc_number }}", name="本单位通报.docx")
    workbook = tmp_path / "考核表.xlsx"
    shutil.copyfile(DEMO, workbook)
    wb = openpyxl.load_workbook(workbook)
    wb["设置"].append(["通报模板", "本单位通报.docx"])
    wb.save(workbook)
    assert main(["report", str(workbook), "-o", str(tmp_path / "out")]) == 0
    out = next((tmp_path / "out").glob("*.docx"))
    assert "设置中指定的模板：示绩考办〔2026〕3号" in [p.text for p in docx.Document(str(out)).paragraphs]
