"""The one-click macros (RunPython targets) against a fake book: no Excel needed."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from perf_excel.macros import PROBLEM_SHEET, XlwingsBook, read_tables, report, safe_value, score, score_and_report


class FakeBook:
    """A workbook as the macros see it: sheets of rows, a status bar and message boxes."""

    def __init__(self, sheets: dict[str, list[list[object]]], name: str = "考核表.xlsm", folder: Path | None = None):
        self.sheets = {k: [list(r) for r in v] for k, v in sheets.items()}
        self.name = name
        self.folder = folder
        self.statuses: list[str] = []
        self.alerts: list[str] = []

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def read_sheet(self, name: str) -> list[list[object]]:
        return [list(r) for r in self.sheets[name]]

    def write_table(self, name: str, rows) -> None:
        self.sheets[name] = [list(r) for r in rows]

    def status(self, text: str) -> None:
        self.statuses.append(text)

    def alert(self, text: str) -> None:
        self.alerts.append(text)


def sheets() -> dict[str, list[list[object]]]:
    return {
        "设置": [["项目", "值"], ["考核名称", "2025年度目标考核"], ["成文日期", datetime(2026, 1, 20)]],
        "指标": [
            ["编码", "维度", "指标名称", "分值", "计分方法", "目标值", "每项扣分"],
            ["A1", "经济", "地区生产总值", 60, "完成比例", 100, None],
            ["A2", "安全", "安全事故", 40, "扣分", None, 5],
        ],
        "单位": [["编码", "名称", "类别"], ["U1", "甲区", "县区"], ["U2", "乙区", "县区"], ["U3", "丙局", "部门"]],
        # a title row above the header, as clerks like to have
        "数据": [["2025年数据"], ["单位编码", "A1", "A2"], ["U1", 95, 1], ["U2", 120, 0], ["U3", 80, None]],
        "加减分": [["单位编码", "类型", "分值", "事由"], ["U3", "加分", 2, '=HYPERLINK("x")']],
        "否决": [["单位编码", "事项", "事由"], ["U2", "安全生产", "发生较大事故"]],
    }


def test_read_tables_finds_headers_below_titles():
    tables = read_tables(FakeBook(sheets()))
    assert tables["数据"].header_row == 2 and tables["数据"].cell(0, 1) == "B3"


def test_score_writes_results_and_details():
    book = FakeBook(sheets())
    message = score(book)
    res = book.sheets["结果"]
    assert res[0] == [
        "单位编码",
        "单位名称",
        "类别",
        "经济",
        "安全",
        "加减分",
        "总分",
        "类别排名",
        "等次",
        "否决",
        "说明",
    ]
    # U1: 95/100×60 = 57 + (40 − 5) = 92 → 2nd in 县区, 优秀
    # U2: 120/100×60 → capped 60, + 40 = 100, vetoed → 良好
    # U3: 80/100×60 = 48, A2 blank → 0 (warning), + 2 bonus = 50 → 不合格
    assert [r[:10] for r in res[1:]] == [
        ["U1", "甲区", "县区", 57.0, 35.0, 0.0, 92.0, 2, "优秀", ""],
        ["U2", "乙区", "县区", 60.0, 40.0, 0.0, 100.0, 1, "良好", "是"],
        ["U3", "丙局", "部门", 48.0, 0.0, 2.0, 50.0, 1, "不合格", ""],
    ]
    detail = book.sheets["计分明细"]
    assert detail[0][:9] == ["单位编码", "单位名称", "类别", "维度", "指标编码", "指标名称", "分值", "实际值", "得分"]
    assert len(detail) == 1 + 3 * 2
    assert book.sheets[PROBLEM_SHEET] == [
        ["级别", "位置", "问题"],
        ["警告", "考核表.xlsm 数据!C5", "单位 “U3” 的指标 “A2”（安全事故）未填报，计 0 分"],
    ]
    assert message == book.statuses[-1] and message.startswith("绩效考核：已计算 3 个单位")
    assert book.alerts == []


def test_bad_input_lists_every_problem_and_writes_no_results():
    s = sheets()
    s["数据"][2][1] = "12,5"  # B3
    s["数据"][3][2] = "两项"  # C4
    book = FakeBook(s)
    score(book)
    assert "结果" not in book.sheets
    assert book.sheets[PROBLEM_SHEET][1:] == [
        ["错误", "考核表.xlsm 数据!B3", "“12,5” 不是有效数字"],
        ["错误", "考核表.xlsm 数据!C4", "“两项” 不是有效数字"],
    ]
    assert book.alerts == [
        "发现 2 个错误，未生成结果。详见“问题”工作表。\n\n"
        "考核表.xlsm 数据!B3：“12,5” 不是有效数字\n考核表.xlsm 数据!C4：“两项” 不是有效数字"
    ]
    assert book.statuses[-1] == "绩效考核：发现 2 个错误，详见“问题”工作表"


def test_report_renders_next_to_the_workbook(tmp_path):
    seen = {}

    def renderer(results, folder):
        seen["units"], seen["folder"] = results.units, folder
        return folder / "2025年度目标考核结果通报.docx"

    book = FakeBook(sheets(), folder=tmp_path)
    message = report(book, renderer)
    assert seen == {"units": ["U1", "U2", "U3"], "folder": tmp_path}
    assert message == f"绩效考核：通报已生成 {tmp_path / '2025年度目标考核结果通报.docx'}"
    assert "结果" not in book.sheets  # report() alone leaves the sheets alone


def test_report_needs_a_saved_workbook():
    book = FakeBook(sheets(), folder=None)
    report(book, lambda r, f: f)
    assert book.alerts == ["请先保存工作簿：通报生成在工作簿所在的文件夹"]


def test_unexpected_failure_is_a_sentence_not_a_traceback(tmp_path):
    def renderer(results, folder):
        raise RuntimeError("磁盘已满")

    book = FakeBook(sheets(), folder=tmp_path)
    score_and_report(book, renderer)
    assert book.alerts == ["内部错误（RuntimeError）：磁盘已满"]
    assert "Traceback" not in "".join(book.statuses)


def test_score_and_report_with_the_real_bulletin(tmp_path):
    folder = tmp_path / "考核 2025（市直）"  # Chinese folder and file names, as on a Chinese-locale PC
    folder.mkdir()
    book = FakeBook(sheets(), folder=folder)
    message = score_and_report(book)
    assert book.alerts == [], book.alerts
    docs = list(folder.glob("*.docx"))
    assert len(docs) == 1 and str(docs[0]) in message
    with zipfile.ZipFile(docs[0]) as z:
        assert "甲区" in z.read("word/document.xml").decode("utf-8")
    assert book.sheets["结果"][1][0] == "U1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+86", "'+86"),
        ("-", "'-"),
        ("@a", "'@a"),
        ("#N/A", "'#N/A"),
        ("#DIV/0!", "'#DIV/0!"),
        ("甲区", "甲区"),
        (None, ""),
        (3.5, 3.5),
    ],
)
def test_text_is_never_written_as_a_formula(value, expected):
    assert safe_value(value) == expected


class _Range:
    def __init__(self, sheet, *args):
        self.sheet, self.args = sheet, args
        self.font = type("Font", (), {})()
        self.columns = type("Cols", (), {"autofit": lambda s: None})()

    def options(self, **kw):
        self.sheet.options = kw
        return self

    @property
    def value(self):
        return self.sheet.cells

    @value.setter
    def value(self, v):
        self.sheet.cells = v

    @property
    def last_cell(self):
        return type("Cell", (), {"row": len(self.sheet.cells), "column": len(self.sheet.cells[0])})()


class _Sheet:
    def __init__(self, name, cells):
        self.name, self.cells, self.options = name, cells, None

    @property
    def used_range(self):
        return _Range(self)

    def range(self, *args):
        return _Range(self, *args)

    def __getitem__(self, address):
        return _Range(self, address)

    def clear_contents(self):
        self.cells = []


class _Sheets(list):
    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)

    def add(self, name, after=None):
        self.append(_Sheet(name, []))
        return self[-1]


class _App:
    screen_updating = True
    status_bar = ""

    def __init__(self):
        self.alerts = []

    def alert(self, text, title=None):
        self.alerts.append((title, text))


class _XwBook:
    def __init__(self, folder):
        self.name, self.fullname = "考核表.xlsm", str(folder / "考核表.xlsm")
        self.sheets = _Sheets(_Sheet(k, v) for k, v in sheets().items())
        self.app = _App()


def test_the_xlwings_shim_reads_with_errors_as_text_and_writes_one_table(tmp_path):
    xw_book = _XwBook(tmp_path)
    book = XlwingsBook(xw_book)
    assert book.folder == tmp_path
    score(book)
    assert xw_book.sheets["数据"].options == {"ndim": 2, "err_to_str": True}
    result = xw_book.sheets["结果"].cells
    assert result[0][0] == "单位编码" and result[3][:2] == ["U3", "丙局"]
    assert xw_book.app.status_bar.startswith("绩效考核：已计算 3 个单位")
    assert xw_book.app.screen_updating is True
