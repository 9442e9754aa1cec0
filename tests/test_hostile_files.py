"""The malicious-file corpus (tests/data/malicious, built by scripts/make_malicious_corpus.py).

Each file is refused with a Chinese message naming it, or handled without harm; the
parsers underneath (python-calamine, openpyxl, python-docx) are also checked on their own,
so that the protection does not rest on our pre-check alone.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import zipfile
from pathlib import Path

import pytest

from perf_excel.cli import main
from perf_excel.xlsx import safety

CORPUS = Path(__file__).parent / "data" / "malicious"
AREA = "工作表“数据”的数据区域达 1,048,576 行 × 16,384 列"
DEMO = Path(__file__).parents[1] / "workbooks" / "demo_city_2025.xlsx"
PWNED = Path("/tmp/perf_excel_vba_was_run")


def run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    text = out.getvalue() + err.getvalue()
    assert "Traceback" not in text
    return code, text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("xxe_sheet.xlsx", "xl/worksheets/sheet4.xml 含有 XML 文档类型声明"),
        ("xxe_workbook.xlsx", "xl/workbook.xml 含有 XML 文档类型声明"),
        ("laughs_sheet.xlsx", "十亿笑声"),
        ("laughs_styles.xlsx", "xl/styles.xml 含有 XML 文档类型声明"),
        ("bomb_declared.xlsx", "解压后大小声明为 3,072 MB（上限 2,048 MB），可能是“压缩炸弹”"),
        ("bomb_lying.xlsx", "解压后超过其声明的大小（1,000 字节），文件被篡改或是“压缩炸弹”"),
        ("far_cell.xlsx", "工作表“数据”的数据区域达 1,048,576 行 × 16,384 列（从 A1 到最远的单元格 XFD1048576）"),
        # Cells without r="…" are placed by counting: python-calamine would abort allocating 512 GiB.
        ("far_row_without_refs.xlsx", "工作表“数据”的数据区域达 1,048,576 行 × 16,384 列"),
        # Far cells written otherwise, parts no relationship maps, dates, encodings, long text.
        ("far_cell_lowercase.xlsx", AREA + "（从 A1 到最远的单元格 XFD1048576）"),
        ("far_cell_leading_zeros.xlsx", AREA + "（从 A1 到最远的单元格 XFD0001048576）"),
        ("far_row_8_digits.xlsx", "工作表“数据”的单元格 A10000000 超出 Excel 的范围"),
        ("far_cell_single_quotes.xlsx", AREA),
        ("far_cell_spaced_eq.xlsx", AREA),
        ("far_cell_quoted_rels.xlsx", AREA),
        ("far_cell_unmapped_part.xlsx", "压缩包成员 xl/worksheets/sheet9.xml 的数据区域达 1,048,576 行 × 16,384 列"),
        ("date_cell_minus_1e20.xlsx", "工作表“数据”的单元格 B4：值 -1E+20 设为日期格式，但不在 Excel 的日期范围内"),
        ("doctype_split.xlsx", "xl/worksheets/sheet4.xml 含有一段超过 256 KB 的连续文字"),
        ("utf16_sheet.xlsx", "xl/worksheets/sheet4.xml 使用 UTF-16/UTF-32 编码"),
        ("long_shared_string.xlsx", "xl/sharedStrings.xml 含有一段超过 256 KB 的连续文字"),
    ],
)
@pytest.mark.parametrize("command", ["check", "score"])
def test_refused_workbooks(name: str, expected: str, command: str) -> None:
    code, text = run([command, str(CORPUS / name)])
    assert code == 1
    assert text.strip().startswith(f"{name}：") and expected in text, text
    assert "root:" not in text


@pytest.mark.parametrize("name", ["lying_dimension.xlsx", "far_styled_empty_cell.xlsx"])
def test_harmless_oddities_score(name: str) -> None:
    # A <dimension> of A1:XFD1048576, or an empty formatted cell there, allocates nothing.
    code, text = run(["score", str(CORPUS / name), "--json"])
    assert code == 0, text
    assert '"unit": "U1"' in text and '"unit": "U2"' in text


def test_far_row_is_named() -> None:
    # 1,048,576 rows × 3 columns is within the limit: read, and the stray value is reported by its cell.
    code, text = run(["check", str(CORPUS / "far_row.xlsx")])
    assert code == 1
    assert "数据!A1048576" in text and "U9" in text, text


def test_sheet_area_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_SHEET_CELLS", 1_000_000)
    code, text = run(["check", str(CORPUS / "far_row.xlsx")])
    assert code == 1 and "超过上限 1,000,000 个单元格" in text and "A1048576" in text, text


def test_member_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_MEMBER_BYTES", 1000)
    code, text = run(["check", str(DEMO)])
    assert code == 1 and "可能是“压缩炸弹”" in text, text


# --- the parsers on their own -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["xxe_sheet.xlsx", "xxe_workbook.xlsx", "laughs_sheet.xlsx", "laughs_styles.xlsx"])
def test_calamine_does_not_expand_entities(name: str) -> None:
    from python_calamine import CalamineWorkbook

    values: list[object] = []
    try:
        wb = CalamineWorkbook.from_path(str(CORPUS / name))
        for sheet in wb.sheet_names:
            values.extend(v for row in wb.get_sheet_by_name(sheet).to_python() for v in row)
    except Exception as exc:  # quick-xml refuses an unknown entity: fine
        values.append(str(exc))
    text = " ".join(map(str, values))
    assert "root:" not in text and "lollol" not in text


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_openpyxl_parses_through_defusedxml() -> None:
    import openpyxl
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML, "defusedxml must be installed: openpyxl then refuses DTDs"
    for name in ("xxe_sheet.xlsx", "laughs_sheet.xlsx", "laughs_styles.xlsx", "xxe_workbook.xlsx"):
        try:
            wb = openpyxl.load_workbook(CORPUS / name)
        except Exception:
            continue  # refused by defusedxml (DTDForbidden / EntitiesForbidden)
        text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row)
        assert "root:" not in text and "lollol" not in text


def test_python_docx_does_not_resolve_entities() -> None:
    from docx import Document

    try:
        doc = Document(str(CORPUS / "template_xxe.docx"))
    except Exception:
        return
    assert "root:" not in "\n".join(p.text for p in doc.paragraphs)


# --- templates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("template_external_image.docx", "引用了文件外部的内容（image → “file:///etc/passwd”）"),
        ("template_xxe.docx", "word/document.xml 含有 XML 文档类型声明"),
    ],
)
def test_refused_templates(tmp_path: Path, name: str, expected: str) -> None:
    code, text = run(["report", str(DEMO), "-o", str(tmp_path), "--template", str(CORPUS / name)])
    assert code == 1 and f"{name}：" in text and expected in text, text
    assert not list(tmp_path.glob("*.docx"))


# --- VBA ----------------------------------------------------------------------------------------


def test_vba_is_never_run(tmp_path: Path) -> None:
    PWNED.unlink(missing_ok=True)
    book = shutil.copy(CORPUS / "vba_auto_open.xlsm", tmp_path / "宏.xlsm")
    vba_before = zipfile.ZipFile(book).read("xl/vbaProject.bin")
    assert run(["check", str(book)])[0] == 0
    code, text = run(["score", str(book), "-o", str(tmp_path / "结果.xlsx")])
    assert code == 0, text
    assert "xl/vbaProject.bin" not in zipfile.ZipFile(tmp_path / "结果.xlsx").namelist()
    assert run(["score", str(book), "--write-back"])[0] == 0
    assert zipfile.ZipFile(book).read("xl/vbaProject.bin") == vba_before  # kept byte for byte, not run
    assert run(["report", str(book), "-o", str(tmp_path / "通报")])[0] == 0
    assert not PWNED.exists()


# --- paths --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"), [("template_parent.xlsx", "../../../../etc/passwd"), ("template_absolute.xlsx", "/etc/passwd")]
)
def test_template_path_in_settings_stays_in_folder(tmp_path: Path, name: str, value: str) -> None:
    book = shutil.copy(CORPUS / name, tmp_path / name)
    code, text = run(["report", str(book), "-o", str(tmp_path / "out")])
    assert code == 1
    assert f"{name} 设置!B4：通报模板 “{value}” 指向文件夹" in text and "之外" in text, text


def test_unit_names_never_leave_the_output_folder(tmp_path: Path) -> None:
    root = tmp_path / "root"
    out = root / "a" / "b" / "out"
    out.mkdir(parents=True)
    book = shutil.copy(CORPUS / "unit_names_paths.xlsx", out.parent / "考核表.xlsx")
    code, text = run(["report", str(book), "-o", str(out), "--letters"])
    assert code == 0, text
    outside = [p for p in root.rglob("*") if p.is_file() and out not in p.parents and p != Path(book)]
    assert outside == []
    letters = list((out / "反馈单").glob("*.docx"))
    assert len(letters) == 6
    assert all(p.parent == out / "反馈单" for p in letters)
