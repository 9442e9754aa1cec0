"""How the reader and the scheme builder interpret cell values, and what that may cost:
merged ranges (repeated, huge, overlapping, too many), "did you mean" hints for unknown
codes, numbers beyond the bound (stored or typed), and codes written as look-alikes."""

from __future__ import annotations

import difflib
import time
from pathlib import Path

import pytest
from hostile_xlsx import Sheet, write_xlsx

from perf_excel.cli import main
from perf_excel.core.build import build_scheme, code_problem, normalise_code
from perf_excel.core.errors import SUGGEST_BUDGET, SUGGEST_PER_SHEET, InputError, Suggester
from perf_excel.core.formula import check_formulas
from perf_excel.core.model import Indicator
from perf_excel.core.tables import Table
from perf_excel.xlsx import reader as workbook
from perf_excel.xlsx.reader import MAX_MERGED_RANGES, read_tables, read_workbook

IND = [["编码", "维度", "指标名称", "分值", "计分方法", "目标值"], ["A01", "经济", "完成率", 100, "完成比例", 100]]


def _units(n: int = 4) -> list[list[object]]:
    # The category is typed once and merged over the units below it (C2:C5 for four units).
    return [["编码", "名称", "类别"], *([f"X{k}", f"单位{k}", "县市区" if k == 1 else None] for k in range(1, n + 1))]


def _book(path: Path, unit_merges: list[str], far: list[tuple[str, object]] = (), n: int = 4) -> Path:
    data = [["单位编码", "A01"], *([f"X{k}", 90] for k in range(1, n + 1))]
    sheets = [Sheet("指标", IND), Sheet("单位", _units(n), unit_merges, far=far), Sheet("数据", data)]
    return write_xlsx(path, sheets)


class _Counter:
    """Counts the reader's per-cell checks (``is_blank``): the work of filling merged ranges."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = workbook.is_blank

        def counted(value: object) -> bool:
            self.calls += 1
            return real(value)

        monkeypatch.setattr(workbook, "is_blank", counted)


# --- merged ranges ------------------------------------------------------------------
@pytest.mark.parametrize(
    "merges",
    [
        ["C2:C5"] * 5000,  # the same range five thousand times
        ["C2:C1048576"],  # a category merged down the whole column
        ["C2:C1048576"] * 3000,
        ["C5:C2"],  # corners given the other way round
    ],
)
def test_merged_ranges_cost_what_the_used_cells_cost(tmp_path: Path, monkeypatch, merges) -> None:
    counter = _Counter(monkeypatch)
    read_tables(_book(tmp_path / "一次.xlsx", ["C2:C5"]))
    once = counter.calls
    counter.calls = 0
    tables = read_tables(_book(tmp_path / "多次.xlsx", merges))
    # Deduplicated and clipped to the four units' rows: exactly the work of one C2:C5.
    assert counter.calls == once
    assert [r[2] for r in tables["单位"].rows] == ["县市区"] * 4


def test_overlapping_merged_ranges_are_refused_naming_both(tmp_path: Path) -> None:
    path = _book(tmp_path / "重叠.xlsx", ["C2:C5", "B3:C4"])
    with pytest.raises(InputError) as exc:
        read_tables(path)
    assert str(exc.value) == (
        "重叠.xlsx 单位：合并单元格 B3:C4 与 C2:C5 重叠，文件可能已损坏；请在 Excel 中取消这两处合并后另存"
    )


def test_thousands_of_overlapping_ranges_over_a_far_cell_stop_at_the_first_overlap(tmp_path: Path, monkeypatch) -> None:
    # The attack: a cell at Z2000 makes 2,000 × 26 = 52,000 used cells, and 4,000 ranges each
    # cover all of them (83 s before). The first range fills them once; the second overlaps.
    merges = [f"A{k}:Z{k + 1999}" for k in range(1, 4001)]
    path = _book(tmp_path / "合并.xlsx", merges, far=[("Z2000", "x")])
    counter = _Counter(monkeypatch)
    t0 = time.monotonic()
    with pytest.raises(InputError) as exc:
        read_tables(path)
    assert time.monotonic() - t0 < 5
    assert str(exc.value).startswith("合并.xlsx 单位：合并单元格 A2:Z2000 与 A1:Z2000 重叠")
    # One fill of the used area (52,000 cells) plus the header search: far below one per range.
    assert counter.calls < 2 * 52_000


def test_too_many_merged_ranges_are_refused(tmp_path: Path, capsys) -> None:
    merges = [f"E{k}:F{k}" for k in range(1, MAX_MERGED_RANGES + 2)]
    path = _book(tmp_path / "多合并.xlsx", merges)
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().err.strip() == (
        "多合并.xlsx 单位：合并单元格区域多达 10,001 个（上限 10,000），不像正常的考核表，已拒绝读取；"
        "请取消多余的合并后另存"
    )


def test_many_distinct_ranges_that_do_not_overlap_are_read(tmp_path: Path) -> None:
    # A 单位名称 merged over two columns on each of 300 rows: an ordinary form.
    n = 300
    units = [["编码", "名称", None, "类别"], *([f"X{k}", f"单位{k}", None, "区"] for k in range(1, n + 1))]
    data = [["单位编码", "A01"], *([f"X{k}", 90] for k in range(1, n + 1))]
    merges = [f"B{k}:C{k}" for k in range(1, n + 2)]
    path = write_xlsx(tmp_path / "名称.xlsx", [Sheet("指标", IND), Sheet("单位", units, merges), Sheet("数据", data)])
    scheme, _, _ = read_workbook(path)
    assert len(scheme.units) == n and scheme.units[-1].name == f"单位{n}"


# --- "did you mean" -----------------------------------------------------------------
METHODS = ("完成比例", "功效系数", "区间", "线性")


@pytest.mark.parametrize(
    ("word", "choices", "cutoff", "expected"),
    [
        # 功效系统/功效系数: 3 of 4 characters match, ratio 2·3/8 = 0.75.
        ("功效系统", METHODS, 0.3, "，是否应为 “功效系数”？"),
        # X3 is as near to X1 as to X2 (ratio 0.5 each): no guess.
        ("X3", ["X1", "X2"], 0.3, ""),
        # 财政收入/财政投入: 0.75; 就业人数: 0.
        ("财政收入", ["就业人数", "财政投入"], 0.4, "，是否应为 “财政投入”？"),
        # ABCD/AXYZ: 1 of 4 matches, ratio 0.25, below the cutoff.
        ("ABCD", ["AXYZ"], 0.3, ""),
        ("A" * 65, ["A" * 64], 0.3, ""),  # too long to be a code: not compared
        ("A" * 64, ["A" * 63 + "B", "A" * 65], 0.3, f"，是否应为 “{'A' * 63 + 'B'}”？"),
    ],
)
def test_suggestions(word, choices, cutoff, expected) -> None:
    assert Suggester()(word, choices, "数据", cutoff) == expected


def test_suggestions_stop_after_the_per_sheet_limit() -> None:
    suggest = Suggester()
    hints = [suggest("U01", ["U1", "V9"], "数据") for _ in range(SUGGEST_PER_SHEET + 5)]
    assert hints == ["，是否应为 “U1”？"] * SUGGEST_PER_SHEET + [""] * 5
    assert suggest("U01", ["U1", "V9"], "加减分") == "，是否应为 “U1”？"  # another sheet has its own


def test_formula_check_uses_the_shared_suggester() -> None:
    ind = Indicator("C01", "派生", "经济", 100.0, "ratio", target=1.0, formula="财政收入 / 2", cells={"公式": "S3"})
    problems, _ = check_formulas([ind], ["财政投入"], suggest=Suggester(per_sheet=0))
    assert [str(p) for p in problems] == [
        "指标!S3：指标 “C01” 的公式 “财政收入 / 2” 引用了 “财政收入”，数据表中没有这一列"
    ]


def test_long_unknown_codes_cost_a_bounded_number_of_comparisons(monkeypatch) -> None:
    # The attack: thousands of units and as many unknown codes in 数据, long and made of two
    # letters (the worst case of difflib). Each full comparison costs 60 × 61 + 32 = 3,692
    # units of the budget, so at most 2,000,000 // 3,692 = 541 are made, whatever the size.
    calls = 0
    real = difflib.SequenceMatcher.ratio

    def counted(self) -> float:
        nonlocal calls
        calls += 1
        return real(self)

    monkeypatch.setattr(difflib.SequenceMatcher, "ratio", counted)
    codes = [format(k * 2654435761 % 2**60, "060b").replace("0", "a").replace("1", "b") for k in range(3000)]
    units = [["编码", "名称", "类别"], *([c, "单位", "区"] for c in codes)]
    data = [["单位编码", "A01"], *([c[::-1] + "c", 90] for c in codes)]
    tables = {
        "指标": Table.from_rows("指标", IND),
        "单位": Table.from_rows("单位", units),
        "数据": Table.from_rows("数据", data),
    }
    t0 = time.monotonic()
    _, _, problems = build_scheme(tables, "长编码.xlsx")
    assert time.monotonic() - t0 < 5
    assert SUGGEST_BUDGET // (60 * 61 + 32) == 541
    assert 0 < calls <= 541
    unknown = [p for p in problems if "不在单位表中" in p.message]
    assert len(unknown) == 3000


# --- numbers beyond the bound -------------------------------------------------------
def _value_book(path: Path, value: object, points: object = 100) -> Path:
    """One indicator (分值 ``points``) and two units; U2's value (数据!B3) is ``value``."""
    ind = [
        ["编码", "维度", "指标名称", "分值", "计分方法", "目标值"],
        ["A01", "经济", "完成率", points, "完成比例", 100],
    ]
    units = [["编码", "名称", "类别"], ["U1", "甲", "区"], ["U2", "乙", "区"]]
    data = [["单位编码", "A01"], ["U1", 90], ["U2", value]]
    return write_xlsx(path, [Sheet("指标", ind), Sheet("单位", units), Sheet("数据", data)])


TOO_LARGE = "数值过大（绝对值应小于 10^15），请检查是否多输了数字"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e308, f"“1e+308” {TOO_LARGE}"),  # scored full marks before
        ("1e308", f"“1e308” {TOO_LARGE}"),  # the same number typed as text
        (-1e20, f"“-1e+20” {TOO_LARGE}"),
        ("-1e20", f"“-1e20” {TOO_LARGE}"),
        (1e16, f"“1e+16” {TOO_LARGE}"),
        ("1e400", f"“1e400” {TOO_LARGE}"),  # beyond float: still a number, too large
        (float("nan"), "“nan” 不是有效数字"),  # not a blank: Excel cannot store one
        (float("inf"), "“inf” 不是有效数字"),
        (float("-inf"), "“-inf” 不是有效数字"),
    ],
)
def test_one_bound_for_numbers_stored_and_typed(tmp_path: Path, value, expected) -> None:
    with pytest.raises(InputError) as exc:
        read_workbook(_value_book(tmp_path / "大数.xlsx", value))
    assert [str(p) for p in exc.value.problems] == [f"大数.xlsx 数据!B3：{expected}"]


def test_largest_accepted_number(tmp_path: Path) -> None:
    _, data, _ = read_workbook(_value_book(tmp_path / "t.xlsx", 999_999_999_999_999.0))
    assert data.values.at["U2", "A01"] == 999_999_999_999_999.0


@pytest.mark.parametrize("value", [1e308, "1e308"])
def test_the_bound_holds_where_the_indicator_does_not_apply(tmp_path: Path, value) -> None:
    # A01 applies to 县 only; U1 (区) has 1e308 in a cell that is not scored.
    ind = [
        ["编码", "维度", "指标名称", "适用类别", "分值", "计分方法", "目标值"],
        ["A01", "经济", "率", "县", 100, "完成比例", 100],
    ]
    units = [["编码", "名称", "类别"], ["U1", "甲", "区"], ["U2", "乙", "县"]]
    data = [["单位编码", "A01"], ["U1", value], ["U2", 90]]
    path = write_xlsx(tmp_path / "t.xlsx", [Sheet("指标", ind), Sheet("单位", units), Sheet("数据", data)])
    with pytest.raises(InputError) as exc:
        read_workbook(path)
    shown = "1e+308" if isinstance(value, float) else value
    assert [str(p) for p in exc.value.problems] == [f"t.xlsx 数据!B2：“{shown}” {TOO_LARGE}"]


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (1e308, f"分值 “1e+308” {TOO_LARGE}"),
        ("1e308", f"分值 “1e308” {TOO_LARGE}"),
        (float("nan"), "分值 “nan” 不是有效数字"),  # was read as an empty cell: 分值不能为空
    ],
)
def test_one_bound_for_numbers_of_the_scheme(tmp_path: Path, points, expected) -> None:
    with pytest.raises(InputError) as exc:
        read_workbook(_value_book(tmp_path / "t.xlsx", 90, points=points))
    assert [str(p) for p in exc.value.problems] == [f"t.xlsx 指标!D2：{expected}"]


# --- look-alike codes ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("U1", None),
        ("县（市）01", None),  # full-width brackets are Chinese text, not a look-alike
        ("Ｕ1", "“Ｕ1” 含有全角或兼容字符 “Ｕ”，应改为 “U1”"),
        ("U１", "“U１” 含有全角或兼容字符 “１”，应改为 “U1”"),
        ("U\u200b1", "“U<U+200B>1” 含有不可见字符 U+200B，应改为 “U1”"),
        ("U1\u200c", "“U1<U+200C>” 含有不可见字符 U+200C，应改为 “U1”"),
        ("U\u200d1", "“U<U+200D>1” 含有不可见字符 U+200D，应改为 “U1”"),
        ("\u2060U1", "“<U+2060>U1” 含有不可见字符 U+2060，应改为 “U1”"),
        ("\ufeffU1", "“<U+FEFF>U1” 含有不可见字符 U+FEFF，应改为 “U1”"),
        ("U\u202e1", "“U<U+202E>1” 含有不可见字符 U+202E，应改为 “U1”"),
        ("U\u20661\u2069", "“U<U+2066>1<U+2069>” 含有不可见字符 U+2066、U+2069，应改为 “U1”"),
        ("Ａ\u200b01", "“Ａ<U+200B>01” 含有不可见字符 U+200B、全角或兼容字符 “Ａ”，应改为 “A01”"),
        ("\u200b", "“<U+200B>” 只含不可见字符 U+200B，请删除"),
        ("U\x011", "“U<U+0001>1” 含有不可见字符 U+0001，应改为 “U1”"),
    ],
)
def test_code_problem(code: str, expected: str | None) -> None:
    assert code_problem(code) == expected


def test_normalise_code() -> None:
    assert normalise_code("\u200bＵ１\u2060") == "U1"
    assert normalise_code("县（市）０１") == "县（市）01"


def test_look_alike_codes_are_errors_at_each_cell(tmp_path: Path) -> None:
    ind = [
        ["编码", "维度", "指标名称", "分值", "计分方法", "目标值"],
        ["A01", "经济", "甲", 50, "完成比例", 100],
        ["B01", "经济", "乙", 50, "完成比例", 100],
    ]
    units = [["编码", "名称", "类别"], ["U1", "一", "区"], ["Ｕ2", "二", "区"], ["县（市）01", "三", "区"]]
    data = [
        ["单位编码", "A01", "Ｂ01"],
        ["U1", 90, 90],
        ["Ｕ2", 80, 80],
        ["县（市）01", 70, 70],
        ["U\u200b1", 60, 60],  # would be a second U1 if normalised silently
    ]
    sheets = [
        Sheet("指标", ind),
        Sheet("单位", units),
        Sheet("数据", data),
        Sheet("加减分", [["单位编码", "类型", "分值", "事由"], ["U\u20601", "加分", 1, "表彰"]]),
        Sheet("否决", [["单位编码", "事项", "事由"], ["\ufeffU1", "安全生产", "事故"]]),
        Sheet("修正", [["单位编码", "指标编码", "系数", "事由"], ["U1", "A０1", 1.1, "灾害"]]),
    ]
    path = write_xlsx(tmp_path / "形近.xlsx", sheets)
    with pytest.raises(InputError) as exc:
        read_workbook(path)
    assert sorted(str(p) for p in exc.value.problems) == sorted(
        [
            "形近.xlsx 单位!A3：单位编码 “Ｕ2” 含有全角或兼容字符 “Ｕ”，应改为 “U2”",
            "形近.xlsx 数据!A3：单位编码 “Ｕ2” 含有全角或兼容字符 “Ｕ”，应改为 “U2”",
            "形近.xlsx 数据!A5：单位编码 “U<U+200B>1” 含有不可见字符 U+200B，应改为 “U1”",
            # The column of B01, as a look-alike: reported once (not again as a missing column).
            "形近.xlsx 数据!C1：列 “Ｂ01” 含有全角或兼容字符 “Ｂ”，应改为 “B01”",
            "形近.xlsx 加减分!A2：单位编码 “U<U+2060>1” 含有不可见字符 U+2060，应改为 “U1”",
            "形近.xlsx 否决!A2：单位编码 “<U+FEFF>U1” 含有不可见字符 U+FEFF，应改为 “U1”",
            "形近.xlsx 修正!B2：指标编码 “A０1” 含有全角或兼容字符 “０”，应改为 “A01”",
        ]
    )


def test_look_alike_indicator_code(tmp_path: Path) -> None:
    ind = [["编码", "维度", "指标名称", "分值", "计分方法", "目标值"], ["Ａ01", "经济", "甲", 100, "完成比例", 100]]
    units = [["编码", "名称", "类别"], ["U1", "一", "区"]]
    data = [["单位编码", "Ａ01"], ["U1", 90]]
    path = write_xlsx(tmp_path / "t.xlsx", [Sheet("指标", ind), Sheet("单位", units), Sheet("数据", data)])
    with pytest.raises(InputError) as exc:
        read_workbook(path)
    # Reported once, at its definition; its 数据 column is then that of a rejected indicator.
    assert [str(p) for p in exc.value.problems] == [
        "t.xlsx 指标!A2：指标编码 “Ａ01” 含有全角或兼容字符 “Ａ”，应改为 “A01”"
    ]


def test_codes_with_spaces_and_chinese_brackets_still_join(tmp_path: Path) -> None:
    units = [["编码", "名称", "类别"], [" U1 ", "一", "区"], ["县（市）01", "二", "区"]]
    data = [["单位编码", "A01"], ["U1", "９５"], [" 县（市）01", 80]]  # full-width digits: a value, tolerated
    path = write_xlsx(tmp_path / "t.xlsx", [Sheet("指标", IND), Sheet("单位", units), Sheet("数据", data)])
    _, dataset, _ = read_workbook(path)
    assert dataset.values["A01"].to_dict() == {"U1": 95.0, "县（市）01": 80.0}
