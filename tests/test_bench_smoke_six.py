"""The six performance benchmarks at a tiny size, so that they do not rot (the figures are not checked,
the cross-checks are: every benchmark that compares two ways of doing the same work must find them equal)."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPTS))
    return lambda name: importlib.import_module(name)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_engine_vs_calc_agree_with_libreoffice(bench, tmp_path):
    figures = bench("bench_engine_vs_calc").main(
        ["--units", "40", "--indicators", "6", "--repeat", "1", "--dir", str(tmp_path)]
    )
    assert figures["units_compared"] == 40
    assert figures["units_differing_lo_vs_ours"] == 0
    assert figures["units_differing_naive_vs_ours"] == 0
    assert figures["ours_score_e2e_wall_s"] > 0 and figures["libreoffice_wall_s"] > 0


def test_engine_vs_calc_without_libreoffice(bench, tmp_path):
    figures = bench("bench_engine_vs_calc").main(
        ["--units", "25", "--indicators", "9", "--repeat", "1", "--no-lo", "--dir", str(tmp_path)]
    )
    assert figures["libreoffice"] == "skipped"
    assert figures["units_differing_naive_vs_ours"] == 0


def test_reading(bench, tmp_path):
    figures = bench("bench_reading").main(
        ["--units", "30", "--indicators", "6", "--repeat", "1", "--dir", str(tmp_path)]
    )
    assert figures["values"] == 180
    assert min(figures["read_workbook_s"], figures["calamine_raw_s"], figures["openpyxl_read_only_s"]) >= 0


def test_letters_same_xml_both_ways(bench, tmp_path):
    figures = bench("bench_letters").main(
        ["--letters", "6", "--indicators", "5", "--naive-sample", "3", "--chart-sample", "0", "--dir", str(tmp_path)]
    )
    assert figures["letters"] == 6 and figures["naive_sample_letters"] == 3
    assert figures["letters_xml_compared"] == 3 and figures["letters_xml_differing"] == 0


def test_batch(bench, tmp_path):
    figures = bench("bench_batch").main(
        ["--workbooks", "2", "--units", "5", "--indicators", "5", "--results-only", "--control-size", "1000"]
        + ["--dir", str(tmp_path)]
    )
    assert figures["jobs1_wall_s"] > 0 and figures["jobs2_wall_s"] > 0
    assert len(list((tmp_path / "batch_out_j2").rglob("*.xlsx"))) >= 2
    assert figures["control_cpu_task_speedup"] > 0


def test_memory(bench, tmp_path):
    figures = bench("bench_memory").main(
        ["--units", "20", "--indicators", "5", "--letters", "2", "--dir", str(tmp_path)]
    )
    assert 0 < figures["score_peak_rss_mib"] < 1024
    assert figures["goal_under_1GiB"] is True


def test_growth(bench):
    figures = bench("bench_growth").main(["--sizes", "50,100", "--indicators", "10", "--repeat", "1"])
    assert figures["assess_50_s"] > 0 and "ratio_100_vs_50" in figures


def test_generated_workbooks_are_the_stated_rules(bench, tmp_path):
    """The formula text of each method, checked by hand on one cell."""
    wb = bench("bench_workbooks")
    case = wb.make_bench_case(3, 5)
    assert case.methods[:3] == ["完成比例", "功效系数", "区间"]
    assert case.points == 20.0
    assert wb.indicator_formula(case, 0, 2) == "MAX(0,MIN('数据'!B2/80*20,20))"
    assert wb.indicator_formula(case, 2, 7) == "IF('数据'!D7>=95,20,IF('数据'!D7>=90,16,IF('数据'!D7>=80,12,4)))"
    efficacy = wb.indicator_formula(case, 1, 2)
    assert efficacy.startswith("IF('数据'!C2>=120,20,IF('数据'!C2>=105,20*0.8+('数据'!C2-105)/15*20*0.2,")
    # The naive loop's 功效系数 on the DESIGN reference (weight 20, 良好 105, 平均 95 here): 100 → 12 + 5/10 × 4.
    run = bench("bench_engine_vs_calc")
    assert run.naive_cell("功效系数", 100.0, 0.0, 20.0) == pytest.approx(14.0)
    assert run.naive_cell("完成比例", 487.0, 500.0, 10.0) == pytest.approx(9.74)
    assert run.naive_cell("区间", 89.99, 0.0, 10.0) == pytest.approx(6.0)


def test_runner_writes_the_figures_section(bench, tmp_path):
    runner = bench("run_benchmarks")
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text("# 基准\n\nhand-written text\n\n<!-- figures:start -->\nold\n<!-- figures:end -->\n\ntail\n")
    run = {
        "date": "2025-01-01 00:00",
        "command": "python scripts/run_benchmarks.py",
        "total_seconds": 1.0,
        "machine": {"nproc": 2, "cpu": "X", "memory": "1 GiB", "python": "3", "os": "L", "load_average": [0.1]},
        "benchmarks": {
            "4": {
                "title": "Batch",
                "command": "c",
                "seconds": 1,
                "load_before": 0,
                "load_after": 0,
                "figures": {"speedup": 1.9, "goal_1.8x": True},
            },
        },
    }
    runner.write_doc(doc, runner.render_markdown(run))
    text = doc.read_text()
    assert "old" not in text and "hand-written text" in text and text.endswith("tail\n")
    assert "| speedup | 1.9 | ≥ 1.8× |" in text and "Goals: 1.8x: met." in text
