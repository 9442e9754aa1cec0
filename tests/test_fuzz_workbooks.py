"""Fuzzing check, score and report with random damaged workbooks (bounded; see scripts/fuzz_campaign.py).

Property: every run ends with exit code 0 or 1, never an exception; an error names the
file; a run that succeeds leaves a results workbook and a bulletin that open.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from fuzz_workbooks import CROSS_AREA_SHAPES, hostile_values, run_commands, valid_sheets, workbooks
from hostile_xlsx import Error, Formula, Sheet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _fast(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _run(sheets, report: bool = True) -> list[str]:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        return run_commands(sheets, folder, report=report)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@_fast(25)
@given(valid_sheets())
def test_valid_workbooks_score_and_report(sheets):
    assert _run(sheets) == []


@_fast(100)
@given(workbooks())
def test_damaged_workbooks_end_in_a_message_or_a_result(sheets):
    assert _run(sheets, report=False) == []


@_fast(30)
@given(workbooks(max_damage=2))
def test_damaged_workbooks_report(sheets):
    assert _run(sheets) == []


def _demo(value: object, method: str = "完成比例") -> list[Sheet]:
    header = ["编码", "维度", "指标名称", "分值", "计分方法", "目标值", "下限", "每项扣分"]
    return [
        Sheet("指标", [header, ["A1", "经济", "甲", 60, method, 100, 0, 1], ["A2", "经济", "乙", 40, "完成比例", 100]]),
        Sheet("单位", [["编码", "名称", "类别"], ["U1", "甲单位", "区"], ["U2", "乙单位", "区"]]),
        Sheet("数据", [["单位编码", "A1", "A2"], ["U1", value, 90], ["U2", 80, 95]]),
    ]


@pytest.mark.parametrize(
    "value",
    [
        1e300,  # found by the fuzzer: the explanation's half-up rounding overflowed Decimal
        -1e300,
        1e15 + 0.5,
        5e-324,
        float("nan"),
        float("inf"),
        float("-inf"),
        True,
        Error("#DIV/0!"),
        Formula("1/0"),
        Formula("A1", 5.0),
        "=1+1",
        "\x01\x02控制字符",
    ],
)
@pytest.mark.parametrize("method", ["完成比例", "线性", "扣分", "排名"])
def test_single_hostile_values(value, method):
    assert _run(_demo(value, method)) == []


@_fast(40)
@given(st.lists(hostile_values, min_size=1, max_size=6))
def test_hostile_values_in_settings(values):
    settings_rows = [["项目", "值"], *(["考核名称" if k == 0 else "等次标准", v] for k, v in enumerate(values))]
    assert _run([Sheet("设置", settings_rows), *_demo(90)], report=False) == []


@pytest.mark.parametrize("name", sorted(CROSS_AREA_SHAPES))
def test_cross_area_shapes_end_in_a_message_or_a_result(name):
    # Each of these once crashed the process or failed without naming the file.
    sheets = CROSS_AREA_SHAPES[name](_demo(90))
    assert _run(sheets) == []
