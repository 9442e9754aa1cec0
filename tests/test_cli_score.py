"""`perf-excel score` on the demo workbook, and the exit codes of the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from perf_excel.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"


@pytest.fixture(scope="module")
def demo_json():
    out = subprocess.run(
        [sys.executable, "-m", "perf_excel.cli", "score", str(DEMO), "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout), out.stderr


def test_json_lists_every_unit_with_the_design_fields(demo_json):
    records, _ = demo_json
    assert len(records) == 30
    assert {r["category"] for r in records} == {"县市区", "市直部门", "国有企业"}
    fields = {"unit", "name", "category", "dimensions", "bonus", "total", "rank", "grade", "vetoed", "indicators"}
    for r in records:
        assert fields <= set(r)
        assert set(r["dimensions"]) == {"奋斗目标", "重点目标", "职能目标", "实事目标", "共性目标"}


def test_demo_planted_situations(demo_json):
    records, stderr = demo_json
    by = {r["unit"]: r for r in records}
    # X03 is vetoed (不得评优): ranked first in 县市区 yet not 优秀.
    assert by["X03"]["vetoed"] and by["X03"]["rank"] == 1 and by["X03"]["grade"] != "优秀"
    # Quota: 10 counties × 20 % rounded down = 2 excellent, neither of them X03.
    excellent = [u for u, r in by.items() if r["category"] == "县市区" and r["grade"] == "优秀"]
    assert len(excellent) == 2 and "X03" not in excellent
    # X01 claimed 2 + 2 bonus points, capped at 3.
    assert by["X01"]["bonus"] == 3
    # Q03 penalty 1.5.
    assert by["Q03"]["bonus"] == -1.5
    # B04: 重点项目投资完成率 does not apply -> rescaled to 100 over 90 points.
    assert by["B04"]["indicators"]["Z01"] is None and by["B04"]["rescaled"]
    assert by["B04"]["total"] == pytest.approx(round(by["B04"]["raw"] * 100 / 90 + 1e-9, 2), abs=0.005)
    # Q05 left 群众满意度 blank: 0 points and a warning naming the cell.
    assert by["Q05"]["indicators"]["S02"] == 0
    assert "数据!M28" in stderr and "Q05" in stderr


def test_ranks_are_shared_competition_ranks_within_category(demo_json):
    records, _ = demo_json
    for cat in ("县市区", "市直部门", "国有企业"):
        rows = [r for r in records if r["category"] == cat]
        for r in rows:
            better = sum(1 for o in rows if o["total"] > r["total"])
            assert r["rank"] == better + 1


def test_results_workbook_leaves_source_untouched(tmp_path):
    src = tmp_path / "考核.xlsx"
    shutil.copy(DEMO, src)
    before = src.read_bytes()
    out = tmp_path / "结果.xlsx"
    assert main(["score", str(src), "-o", str(out)]) == 0
    assert src.read_bytes() == before
    from openpyxl import load_workbook

    wb = load_workbook(out, read_only=True)
    assert "结果" in wb.sheetnames and "计分明细" in wb.sheetnames
    rows = list(wb["结果"].iter_rows(values_only=True))
    assert rows[0][:3] == ("单位编码", "单位名称", "类别")
    assert len(rows) == 31


def test_bad_input_exit_code_and_message(tmp_path, capsys):
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"this is not a workbook")
    assert main(["score", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "坏.xlsx" in err and "Traceback" not in err


def test_usage_error_exit_code(capsys):
    assert main(["score"]) == 2
    assert "用法" in capsys.readouterr().err
