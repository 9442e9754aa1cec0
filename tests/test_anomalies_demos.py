"""The city demo workbooks 2023–2025 raise exactly the planted anomalies, no more and no fewer.

The expected lists are the planted anomalies of scripts/make_demo_workbooks.py (its docstring),
written down from the planting, not from the checker's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from perf_excel import cli
from perf_excel.core.build import build_scheme
from perf_excel.xlsx.history import collect_anomalies
from perf_excel.xlsx.reader import read_tables

WB = Path(__file__).resolve().parents[1] / "workbooks"

PLANTED_2024 = {
    ("X08", "G03", "超出合理范围"),  # 23.5 > 合理上限 15
    ("X08", "G03", "离群"),
    ("B09", "F03", "离群"),  # 35 among departments between about 65 and 100
    ("X05", "Z01", "离群"),  # 2025's value / 1.6
}
PLANTED_2025 = {("Q05", "S02", "缺失")}

CASES = [
    ("demo_city_2023.xlsx", None, set()),
    ("demo_city_2024.xlsx", None, PLANTED_2024),
    (
        "demo_city_2024.xlsx",
        "demo_city_2023.xlsx",
        PLANTED_2024 | {("B09", "F03", "同比异动"), ("X08", "G03", "同比异动"), ("Q02", "F04", "同比异动")},
    ),
    ("demo_city_2025.xlsx", None, PLANTED_2025),
    (
        "demo_city_2025.xlsx",
        "demo_city_2024.xlsx",
        # X05's jump is planted in 2025; B09 and X08 return to normal after their planted 2024 values.
        PLANTED_2025 | {("X05", "Z01", "同比异动"), ("B09", "F03", "同比异动"), ("X08", "G03", "同比异动")},
    ),
]


@pytest.mark.parametrize(("name", "previous", "expected"), CASES, ids=[f"{c[0]}<-{c[1]}" for c in CASES])
def test_demo_raises_exactly_the_planted_anomalies(name: str, previous: str | None, expected: set) -> None:
    path = WB / name
    tables = read_tables(path)
    scheme, dataset, problems = build_scheme(tables, file=name)
    assert not [p for p in problems if p.is_error]
    anomalies, other = collect_anomalies(scheme, dataset, tables, path, WB / previous if previous else None)
    assert other == []
    got = [(a.unit, a.indicator, a.kind) for a in anomalies]
    assert len(got) == len(set(got))
    assert set(got) == expected


def test_check_command_counts_the_planted_warnings(capsys) -> None:
    code = cli.main(["check", str(WB / "demo_city_2025.xlsx"), "--previous", str(WB / "demo_city_2024.xlsx")])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("警告  ") == 4
    assert "demo_city_2025.xlsx 数据!M28：【缺失】单位 “Q05”（市产投集团）的指标 “S02”（群众满意度）未填报" in out
