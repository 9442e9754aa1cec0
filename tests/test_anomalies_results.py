"""数据异动预警 in the results workbook (score -o / --write-back, --previous) and in the bulletin.

Expected rows come from the planting in scripts/make_demo_workbooks.py: X05's 2024 Z01 is
round(89.7 / 1.6, 1) = 56.1, so 2025 against 2024 is (89.7 − 56.1) / 56.1 = 33.6 / 56.1 = +59.9 %.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perf_excel import cli

WB = Path(__file__).resolve().parents[1] / "workbooks"
HEADER = ("单位编码", "单位名称", "指标编码", "指标名称", "类型", "数值", "比较", "单元格")
MISSING_Q05 = ("Q05", "市产投集团", "S02", "群众满意度", "缺失", None, "未填报，该指标计 0 分", "数据!M28")
JUMP_X05 = (
    "X05",
    "东川县",
    "Z01",
    "重点项目投资完成率",
    "同比异动",
    89.7,
    "上年（2024年，demo_city_2024.xlsx 数据!G6）为 56.1，同比 +59.9%，超过异动阈值 30%",
    "数据!G6",
)


@pytest.fixture()
def books(tmp_path: Path) -> Path:
    for year in (2024, 2025):
        shutil.copy(WB / f"demo_city_{year}.xlsx", tmp_path / f"demo_city_{year}.xlsx")
    return tmp_path


def _sheet(path: Path, name: str = "数据异动预警") -> list[tuple]:
    wb = load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()


@pytest.mark.parametrize(
    ("previous", "expected"),
    [
        (False, [MISSING_Q05]),
        (True, [MISSING_Q05, JUMP_X05]),
    ],
)
def test_score_output_has_the_anomaly_sheet(books: Path, capsys, previous: bool, expected: list[tuple]) -> None:
    args = ["score", str(books / "demo_city_2025.xlsx"), "-o", str(books / "结果.xlsx")]
    if previous:
        args += ["--previous", str(books / "demo_city_2024.xlsx")]
    assert cli.main(args) == 0
    rows = _sheet(books / "结果.xlsx")
    assert rows[0] == HEADER
    for row in expected:
        assert row in rows[1:]
    # 2025 alone: the blank only; against 2024 also the three jumps (see test_anomalies_demos.py).
    assert len(rows) - 1 == (4 if previous else 1)
    assert "数据异动预警" in capsys.readouterr().err


def test_score_write_back_writes_and_replaces_the_anomaly_sheet(books: Path) -> None:
    path = books / "demo_city_2025.xlsx"
    args = ["score", str(path), "--write-back", "--previous", str(books / "demo_city_2024.xlsx")]
    assert cli.main(args) == 0
    assert cli.main(args) == 0  # a second run replaces the sheet rather than adding another
    wb = load_workbook(path, read_only=True)
    names = wb.sheetnames
    wb.close()
    assert names.count("数据异动预警") == 1 and names[-3:] == ["结果", "计分明细", "数据异动预警"]
    rows = _sheet(path)
    assert rows[0] == HEADER and MISSING_Q05 in rows and JUMP_X05 in rows and len(rows) == 5


def test_anomalies_never_change_the_scores(books: Path, capsys) -> None:
    path = books / "demo_city_2025.xlsx"
    assert cli.main(["score", str(path), "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    out = books / "结果.xlsx"
    assert (
        cli.main(["score", str(path), "--json", "-o", str(out), "--previous", str(books / "demo_city_2024.xlsx")]) == 0
    )
    with_previous = json.loads(capsys.readouterr().out)
    assert with_previous == plain
    totals = {r[0]: r[-5] for r in _sheet(out, "结果")[1:]}
    assert totals == {r["unit"]: pytest.approx(r["total"]) for r in plain}


def test_score_previous_alone_lists_the_warnings(books: Path, capsys) -> None:
    args = ["score", str(books / "demo_city_2025.xlsx"), "--previous", str(books / "demo_city_2024.xlsx")]
    assert cli.main(args) == 0
    err = capsys.readouterr().err
    assert err.count("【同比异动】") == 3 and err.count("【缺失】") == 1


def test_score_previous_missing_file_is_one_clear_message(books: Path, capsys) -> None:
    args = ["score", str(books / "demo_city_2025.xlsx"), "-o", str(books / "r.xlsx"), "--previous", "无此文件.xlsx"]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "无此文件.xlsx" in err and "Traceback" not in err


def _bulletin_text(folder: Path) -> tuple[list[str], list[list[str]]]:
    import docx

    (path,) = folder.glob("*通报.docx")
    doc = docx.Document(str(path))
    tables = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    return [p.text for p in doc.paragraphs], tables


def test_bulletin_appendix_lists_the_anomalies(books: Path, capsys) -> None:
    out = books / "通报"
    args = [
        "report",
        str(books / "demo_city_2025.xlsx"),
        "-o",
        str(out),
        "--previous",
        str(books / "demo_city_2024.xlsx"),
    ]
    assert cli.main(args) == 0
    paragraphs, rows = _bulletin_text(out)
    # three categories, so the anomalies are 附件4: listed under 附件, on their own page, and in 有关说明
    assert "4．数据异动预警" in paragraphs
    assert paragraphs.count("附件4") == 1 and paragraphs[paragraphs.index("附件4") + 2] == "数据异动预警"
    assert "数据核查发现异动4条（缺失1条、同比异动3条），详见附件4。预警仅提示核实数据，不影响考核得分。" in paragraphs
    assert ["单位", "指标", "类型", "数值", "情况", "单元格"] in rows
    assert ["市产投集团", "群众满意度", "缺失", "—", "未填报，该指标计 0 分", "数据!M28"] in rows
    assert ["东川县", "重点项目投资完成率", "同比异动", "89.7", JUMP_X05[6], "数据!G6"] in rows
    assert "数据异动预警 4 条" in capsys.readouterr().err


def test_bulletin_without_anomalies_has_no_appendix(tmp_path: Path) -> None:
    # demo_city_2023 has no anomalies of its own (test_anomalies_demos.py)
    assert cli.main(["report", str(WB / "demo_city_2023.xlsx"), "-o", str(tmp_path)]) == 0
    paragraphs, rows = _bulletin_text(tmp_path)
    assert not any("数据异动预警" in p for p in paragraphs)
    assert "附件3" in paragraphs and "附件4" not in paragraphs
    assert ["单位", "指标", "类型", "数值", "情况", "单元格"] not in rows
