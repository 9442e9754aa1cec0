"""The committed demo workbooks: each checks clean and shows what it was made to show."""

from __future__ import annotations

from pathlib import Path

import pytest

from perf_excel.core.assess import assess
from perf_excel.xlsx.reader import read_tables, read_workbook

WB = Path(__file__).resolve().parents[1] / "workbooks"
DEMOS = [
    "demo_city_2023.xlsx",
    "demo_city_2024.xlsx",
    "demo_city_2025.xlsx",
    "demo_kunming_2025.xlsx",
    "demo_yueyang_2025.xlsx",
    "demo_exante_2026.xlsx",
]


@pytest.mark.parametrize("name", DEMOS)
def test_demo_reads_without_errors(name: str) -> None:
    scheme, data, _ = read_workbook(WB / name)
    assert len(assess(scheme, data).table) == len(scheme.units)


def test_kunming_five_dimensions_common_goals_20_with_veto_fail() -> None:
    scheme, data, _ = read_workbook(WB / "demo_kunming_2025.xlsx")
    assert scheme.dimensions == ("奋斗目标", "重点目标", "职能目标", "实事目标", "共性目标")
    assert len(scheme.units) == 40 and scheme.categories == ("县市区", "市直部门", "国有企业")
    for cat in scheme.categories:
        mine = [i for i in scheme.indicators if i.applies_to(cat)]
        assert sum(i.points for i in mine) == 100
        assert sum(i.points for i in mine if i.dimension == "共性目标") == 20
    t = assess(scheme, data).table
    assert scheme.settings.veto_mode == "不合格"
    assert set(t.index[t["vetoed"]]) == {"Y03", "K11"}
    assert set(t.loc[["Y03", "K11"], "grade"]) == {"较差"}


def test_yueyang_indicator_sets_differ_by_category() -> None:
    scheme, _, _ = read_workbook(WB / "demo_yueyang_2025.xlsx")
    assert set(scheme.dimensions) == {"经济发展", "公共服务", "风险防控", "可持续性"}
    dept = {i.name for i in scheme.indicators if i.applies_to("市直部门")}
    soe = {i.name for i in scheme.indicators if i.applies_to("国有企业")}
    assert not dept & soe
    assert {"政策落实率", "政务公开", "信访办结率"} <= dept
    assert {"主业聚焦度", "净资产收益率", "融资成本", "绿色投资比例"} <= soe
    by_name = {i.name: i for i in scheme.indicators}
    assert by_name["净资产收益率"].method == "efficacy" and not by_name["融资成本"].positive


def test_city_years_share_the_scheme() -> None:
    schemes = [read_workbook(WB / f"demo_city_{y}.xlsx")[0] for y in (2023, 2024, 2025)]
    assert len({tuple((i.code, i.points, i.method) for i in s.indicators) for s in schemes}) == 1
    assert len({tuple((u.code, u.category) for u in s.units) for s in schemes}) == 1
    assert [s.settings.year for s in schemes] == ["2023", "2024", "2025"]


def _value(year: int, unit: str, code: str) -> float:
    return float(read_workbook(WB / f"demo_city_{year}.xlsx")[1].values.at[unit, code])


def test_planted_anomalies_are_in_the_data() -> None:
    # the jumps and the out-of-range value listed in scripts/make_demo_workbooks.py
    assert _value(2025, "X05", "Z01") / _value(2024, "X05", "Z01") > 1.3
    assert abs(_value(2024, "X05", "Z01") / _value(2023, "X05", "Z01") - 1) < 0.3
    assert abs(_value(2024, "Q02", "F04") - _value(2023, "Q02", "F04")) == pytest.approx(5)
    scheme = read_workbook(WB / "demo_city_2024.xlsx")[0]
    g03 = scheme.indicator("G03")
    assert _value(2024, "X08", "G03") == 23.5 > g03.plausible_max
    f03 = read_workbook(WB / "demo_city_2024.xlsx")[1].values["F03"].dropna()
    others = f03.drop("B09")
    assert f03["B09"] == 35 and others.min() > 60


def test_make_demo_workbook_keeps_its_layout() -> None:
    # Other parts of the project point at these cells (the Q05 warning at 数据!M28).
    t = read_tables(WB / "demo_city_2025.xlsx")["数据"]
    row = next(i for i in t if t.value(i, 0) == "Q05")
    assert t.cell(row, t.column_index("S02")) == "M28"
