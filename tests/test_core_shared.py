"""The mechanisms the core's modules share: declared parameter ranges, the rows of 加减分/否决/修正,
the text of a cell, and the frame of the data-derived weights."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from perf_excel import Adjustment, Correction, Indicator, Veto
from perf_excel.core.exante import restrict
from perf_excel.core.methods import lookup
from perf_excel.core.methods.base import Param
from perf_excel.core.numbers import cell_text
from perf_excel.core.tables import Table
from perf_excel.core.weights import critic_weights, data_from_table, entropy_weights


def test_a_declared_bound_reads_like_the_hand_written_checks() -> None:
    # A NaN step is outside every bound (NaN >= 0 is false), and a negative one is named by its column.
    rank = lookup("rank")
    ind = Indicator(code="R", name="r", dimension="", points=5, method="rank", step=float("nan"))
    assert [p.message for p in rank.problems(ind)] == ["步长 “nan” 不能为负"]
    ratio = lookup("ratio")
    both = Indicator(code="X", name="x", dimension="", points=10, method="ratio", target=-1, cap=0)
    assert [(p.column, p.message) for p in ratio.problems(both)] == [
        ("目标值", "完成比例的目标值 “-1” 应大于 0"),
        ("封顶", "封顶 “0” 应大于 0"),
    ]
    # The typed cell is quoted, not the number read from it.
    ind = Indicator(code="X", name="x", dimension="", points=10, method="ratio", target=0)
    assert [p.message for p in ratio.problems(ind, raw={"目标值": "０"})] == ["完成比例的目标值 “０” 应大于 0"]


def test_an_unknown_bound_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown bound 'above_one' of parameter 封顶"):
        Param("封顶", "cap", bound="above_one")


def test_reason_and_cell_are_named_and_the_cell_is_not_compared() -> None:
    a = Adjustment("A1", "加分", 2.0, reason="试点", cell="加减分!C2")
    assert (a.unit, a.kind, a.points, a.reason, a.cell, a.is_bonus) == ("A1", "加分", 2.0, "试点", "加减分!C2", True)
    assert a == Adjustment("A1", "加分", 2.0, reason="试点")
    assert Veto("A1", "安全生产").reason == ""
    assert Correction("A1", "", 1.05, reason="灾害").coefficient == 1.05
    with pytest.raises(TypeError):
        Veto("A1", "安全生产", "较大事故")  # a reason must be named: the fields differ by class


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (float("nan"), ""),
        ("  A01 ", "A01"),
        (101.0, "101"),
        (101.5, "101.5"),
        (7, "7"),
        (datetime(2025, 3, 1), "2025-03-01"),
        (datetime(2025, 3, 1, 8, 30), "2025-03-01 08:30:00"),
        (date(2025, 3, 1), "2025-03-01"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_exempt_projects_match_codes_typed_as_numbers() -> None:
    # 单位编码 101 stored as the float 101.0 is the exempt project “101”.
    units = Table.from_rows("单位", [["单位编码", "单位名称"], [101.0, "甲"], [" 102 ", "乙"]])
    kept = restrict({"单位": units}, {"101"})["单位"]
    assert [r[1] for r in kept.rows] == ["乙"]


def test_weight_labels_are_the_typed_text() -> None:
    table = Table.from_rows("数据", [["单位编码", "X1", "X2"], [1.0, 1, 5], [2.0, 2, 4], [3.0, 4, 1]])
    names, units, values = data_from_table(table)
    assert (names, units) == (("X1", "X2"), ("1", "2", "3"))


def test_entropy_and_critic_share_the_frame() -> None:
    # Two units, one indicator constant: it takes no weight and a note, the other all of it.
    data = np.array([[1.0, 7.0], [3.0, 7.0]])
    for fn, method in ((entropy_weights, "entropy"), (critic_weights, "critic")):
        r = fn(data, [True, True], ["a", "b"])
        assert (r.method, r.names, r.weights, r.n_units) == (method, ("a", "b"), (1.0, 0.0), 2)
        assert r.notes == ("指标 “b” 各单位数值相同，不提供信息，权重为 0",)
