"""The template filters and Windows-safe file names, table-driven with hand-written expectations."""

from __future__ import annotations

import math

import pytest

from perf_excel.documents.env import cn_date, cn_num, pct, pts, rank_cn, signed
from perf_excel.files.outputs import safe_name


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-01-20", "2026年1月20日"),
        ("2026-1-5", "2026年1月5日"),
        ("2026-01-20 00:00:00", "2026年1月20日"),
        ("2026/12/31", "2026年12月31日"),
        ("2026年01月09日", "2026年1月9日"),
        ("", ""),
        ("二〇二六年一月", "二〇二六年一月"),
    ],
)
def test_cn_date_uses_arabic_numerals(value: str, expected: str) -> None:
    assert cn_date(value) == expected


@pytest.mark.parametrize(
    "n, expected",
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (21, "二十一"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
    ],
)
def test_cn_num(n: int, expected: str) -> None:
    assert cn_num(n) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(9.5, "9.50"), (89.995, "90.00"), (2.675, "2.68"), (0, "0.00"), (None, "—"), (math.nan, "—")],
)
def test_pts_two_decimals_half_up(value, expected: str) -> None:
    assert pts(value) == expected


@pytest.mark.parametrize("value, expected", [(1, "+1.00"), (-1.5, "−1.50"), (0.001, "0.00"), (None, "—")])
def test_signed(value, expected: str) -> None:
    assert signed(value) == expected


@pytest.mark.parametrize(
    "rank, tied, short, expected",
    [(3, False, False, "第3名"), (3, True, False, "并列第3名"), (1, True, True, "1（并列）"), (5, False, True, "5")],
)
def test_rank_cn(rank: int, tied: bool, short: bool, expected: str) -> None:
    assert rank_cn(rank, tied, short) == expected


def test_pct() -> None:
    assert pct(0.2) == "20%"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("B12_市科创R&D中心<试点>_反馈单", "B12_市科创R&D中心_试点__反馈单.docx"),
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j.docx"),
        ("..\\..\\etc", "_.._.._etc.docx"),
        ("CON", "_CON.docx"),
        ("名称. ", "名称.docx"),
        ("<>", "__.docx"),
        ("", "_.docx"),
    ],
)
def test_safe_name_with_suffix(name: str, expected: str) -> None:
    assert safe_name(name, ".docx") == expected
