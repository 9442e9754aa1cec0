"""From sheets to a checked scheme: every problem found at once, each with its cell.

``build_scheme(tables)`` reads the contract sheets (as :class:`~perf_excel.core.tables.Table`
objects, from any front end), checks every value and every method's parameters, and
returns the scheme, the data and the list of problems. Nothing is guessed: a value that
cannot be read is an error naming the sheet, the cell and the value.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime

import numpy as np
import pandas as pd

from perf_excel.core import exante
from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import ERROR, WARNING, InputError, Problem, Suggester, quote
from perf_excel.core.formula import check_formulas, formula_names
from perf_excel.core.methods import (
    WORKBOOK_NAMES,
    Method,
    grade_fraction,
    lookup,
    parse_bands,
    parse_grade_table,
    points_problem,
    unknown_method_message,
)
from perf_excel.core.methods._common import CLAUSES
from perf_excel.core.model import (
    NOT_APPLICABLE,
    Adjustment,
    Correction,
    Indicator,
    Scheme,
    Settings,
    Unit,
    Veto,
)
from perf_excel.core.numbers import MAX_NUMBER, is_blank, parse_number, too_large
from perf_excel.core.tables import Table

__all__ = [
    "INDICATOR_COLUMNS",
    "build_scheme",
    "code_problem",
    "load_tables",
    "normalise_code",
    "parse_bands",
    "parse_grade_table",
    "parse_grades",
]

#: 指标 columns: contract name -> English aliases.
INDICATOR_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "编码": ("code", "指标编码"),
    "维度": ("dimension",),
    "指标名称": ("name", "指标"),
    "适用类别": ("categories", "category"),
    "分值": ("points", "weight", "权重"),
    "计分方法": ("method",),
    "方向": ("direction",),
    "目标值": ("target",),
    "下限": ("floor", "lower"),
    "封顶": ("cap",),
    "优秀值": ("excellent",),
    "良好值": ("good",),
    "平均值": ("average",),
    "较低值": ("low", "fair"),
    "较差值": ("poor",),
    "区间": ("bands",),
    "每项扣分": ("per_item",),
    "步长": ("step",),
    "浮动上限": ("step_bound", "bound"),
    "阶梯方式": ("step_mode",),
    "公式": ("formula",),
    "计量单位": ("unit",),
    "说明": ("note", "description"),
    "合理下限": ("plausible_min",),
    "合理上限": ("plausible_max",),
}

SETTING_KEYS: Mapping[str, tuple[str, ...]] = {
    "考核名称": ("title", "name"),
    "考核年度": ("year",),
    "发文机关": ("issuer",),
    "文号": ("doc_number",),
    "成文日期": ("date",),
    "主送机关": ("recipients", "主送"),
    "等次标准": ("grades",),
    "优秀比例": ("excellent_ratio",),
    "优秀名额": ("excellent_count",),
    "比例取整": ("rounding",),
    "否决效果": ("veto_mode",),
    "加分上限": ("bonus_cap",),
    "扣分上限": ("penalty_cap",),
    "并列处理": ("quota_ties",),
    "排名依据": ("tie_breakers",),
    "满分": ("full_marks",),
    "定性折算": ("grade_table",),
}

ROUNDING = ("向下", "四舍五入", "向上")
VETO_MODES = ("不得评优", "不合格")
QUOTA_TIES = ("不超额", "并列均入")
_SPLIT = CLAUSES
_LIST_SPLIT = re.compile(r"[,，、;；/\s]+")
_DATA_EXTRAS = {"单位名称", "名称", "类别", "备注", "说明", "name", "category", "note"}
_DIRECTIONS = {
    "正向": True,
    "正": True,
    "+": True,
    "positive": True,
    "逆向": False,
    "反向": False,
    "逆": False,
    "负向": False,
    "-": False,
    "negative": False,
    "reverse": False,
}


def _text(value: object) -> str:
    if type(value) is str:  # the common case first: codes and names of many thousand units
        return value.strip()
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


#: A cell value as the text a clerk typed: 101.0 → ``101``, a date → ``2025-03-01``.
cell_text = _text

# --- codes -------------------------------------------------------------------------
#: Unicode categories that show nothing: control and format characters (zero-width space and
#: joiners, word joiner, BOM, soft hyphen, bidi marks, embeddings, overrides and isolates),
#: private-use, surrogate and unassigned code points, line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset(("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"))
#: Blank letters and marks of other categories: the combining grapheme joiner, Hangul fillers,
#: the Braille blank and the variation selectors.
_INVISIBLE_EXTRA = frozenset(
    "\u034f\u115f\u1160\u3164\uffa0\u2800"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
#: Full-width brackets and sentence punctuation belong to Chinese text and read as what they
#: are (``县（市）01``); NFKC would turn them into ASCII, so they are left as typed.
_CJK_PUNCTUATION = "（）［］｛｝：；，！？　"
_CJK_SPLIT = re.compile(f"([{re.escape(_CJK_PUNCTUATION)}])")


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _INVISIBLE_EXTRA


def normalise_code(text: str) -> str:
    """A code as it reads: invisible characters removed, NFKC (full-width letters and digits,
    compatibility forms → ASCII and unified ideographs), stripped; full-width CJK brackets and
    punctuation are kept."""
    visible = "".join(ch for ch in text if not _invisible(ch))
    parts = _CJK_SPLIT.split(visible)
    return "".join(p if p and p in _CJK_PUNCTUATION else unicodedata.normalize("NFKC", p) for p in parts).strip()


def code_problem(text: str) -> str | None:
    """Why ``text`` cannot be a code, as the rest of a message after the code's name; None if it can.

    The rule for codes (单位编码 and 指标编码 in 单位 and 指标, and every reference to them in
    数据, its header, 加减分, 否决 and 修正): codes are compared exactly as typed (stripped), so
    a code must be written the way it reads. A code that :func:`normalise_code` would change
    is an error naming the cell and the value as typed: a full-width ``Ｕ1``, a compatibility
    character (``①``, ``Ⅱ``, a CJK compatibility ideograph), a zero-width space or joiner,
    a bidi control or any other invisible character. Normalising silently instead would let
    a look-alike join where the clerk did not mean it, or fail to join where they did; both
    are a clerk's slip that only they can correct. Spaces at either end are stripped as
    always; full-width CJK brackets and punctuation (``（一）``) are not a look-alike.
    """
    if text.isascii() and text.isprintable():
        return None
    norm = normalise_code(text)
    if norm == text:
        return None
    hidden = dict.fromkeys(f"U+{ord(ch):04X}" for ch in text if _invisible(ch))
    changed = dict.fromkeys(
        ch
        for ch in text
        if not _invisible(ch) and ch not in _CJK_PUNCTUATION and unicodedata.normalize("NFKC", ch) != ch
    )
    details = []
    if hidden:
        details.append(f"不可见字符 {'、'.join(list(hidden)[:5])}")
    if changed:
        details.append(f"全角或兼容字符 {'、'.join(quote(ch) for ch in list(changed)[:5])}")
    detail = "、".join(details) or "不规范字符"
    shown = quote("".join(f"<U+{ord(ch):04X}>" if _invisible(ch) else ch for ch in text))
    if not norm:
        return f"{shown} 只含{detail}，请删除"
    return f"{shown} 含有{detail}，应改为 {quote(norm)}"


#: Why a number typed or stored beyond :data:`~perf_excel.core.numbers.MAX_NUMBER` is refused.
_TOO_LARGE = f"数值过大（绝对值应小于 10^{round(math.log10(MAX_NUMBER))}），请检查是否多输了数字"


class _Collector:
    """Gathers problems for one sheet so every check can name its cell in one line."""

    def __init__(self, problems: list[Problem], file: str) -> None:
        self.problems = problems
        self.file = file
        # Every code typed in 指标, valid or not: an indicator with a mistake is reported
        # once, not again as "unknown" wherever its code is used.
        self.indicator_codes: set[str] = set()
        #: "Did you mean" hints, one budget for the whole workbook.
        self.suggest = Suggester()

    def error(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(message, sheet, cell, self.file, ERROR))

    def warn(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(message, sheet, cell, self.file, WARNING))

    def lookalike(self, t: Table, i: int, j: int, code: str, what: str) -> bool:
        """Record an error if ``code`` (in row ``i``, column ``j``) breaks :func:`code_problem`'s rule."""
        problem = code_problem(code)
        if problem:
            self.error(t.sheet, t.cell(i, j), f"{what} {problem}")
        return problem is not None

    def number(self, t: Table, i: int, j: int | None, what: str, required: bool = False):
        """The number in a cell, or None (blank, or unreadable: then an error is recorded)."""
        value = t.value(i, j)
        # A stored NaN is not an empty cell (Excel cannot type one; a crafted file can).
        if is_blank(value) and not isinstance(value, float):
            if required:
                cell = t.cell(i, j) if j is not None else f"第{t.row_numbers[i]}行"
                self.error(t.sheet, cell, f"{what}不能为空")
            return None
        number = parse_number(value)
        if number is None:
            reason = _TOO_LARGE if too_large(value) else "不是有效数字"
            self.error(t.sheet, t.cell(i, j), f"{what} {quote(value)} {reason}")
        return number


# --- small parsers ---------------------------------------------------------------
# parse_bands and parse_grade_table live with their methods (core.methods.band, .grade).


def parse_grades(text: str) -> tuple[tuple[str, float], ...]:
    """Parse ``优秀:90; 良好:80; 合格:60; 不合格:0``, best first."""
    grades = []
    for clause in _SPLIT.split(text):
        if not clause.strip():
            continue
        parts = re.split(r"\s*(?:>=|≥|[:：=＝])\s*", clause.strip(), maxsplit=1)
        thr = parse_number(parts[1]) if len(parts) == 2 else None
        if thr is None or not parts[0]:
            raise ValueError(f"无法识别 {quote(clause.strip())}（应形如 优秀:90; 良好:80; 合格:60; 不合格:0）")
        grades.append((parts[0], thr))
    if not grades:
        raise ValueError("等次标准为空")
    grades.sort(key=lambda g: -g[1])
    names = [g[0] for g in grades]
    if len(set(names)) != len(names):
        raise ValueError("等次名称重复")
    if len({g[1] for g in grades}) != len(grades):
        raise ValueError("两个等次的分数线相同")
    return tuple(grades)


def _per_category(text: str, parse) -> tuple[object | None, dict[str, object]]:
    """``20%`` -> (value, {}); ``县市区:20%; 国有企业:15%`` -> (None, {...})."""
    if not re.search(r"[:：]", text):
        return parse(text), {}
    out = {}
    for clause in _SPLIT.split(text):
        if not clause.strip():
            continue
        name, _, val = re.split(r"([:：])", clause, maxsplit=1)
        out[name.strip()] = parse(val)
    return None, out


def _ratio(value: object) -> float:
    n = parse_number(value)
    if n is None or n < 0:
        raise ValueError
    # "20%" arrives as 0.2; a bare 20 typed into a text cell means 20 %.
    return n / 100 if n > 1 else n


def _count(value: object) -> int:
    text = _text(value)
    m = re.fullmatch(r"(?:前)?\s*(\d+)\s*(?:名|个)?", text)
    if not m:
        raise ValueError
    return int(m.group(1))


# --- sheets ----------------------------------------------------------------------
def _find_columns(t: Table, spec: Mapping[str, tuple[str, ...]]) -> dict[str, int | None]:
    return {name: t.column_index(name, *aliases) for name, aliases in spec.items()}


def _parse_settings(t: Table | None, c: _Collector, categories: set[str]) -> Settings:
    if t is None:
        return Settings()
    k_col = t.column_index("项目", "key", "item", "设置项")
    v_col = t.column_index("值", "value", "内容")
    if k_col is None or v_col is None:
        c.error(t.sheet, "A1", "设置表应有 “项目” 和 “值” 两列")
        return Settings()
    raw: dict[str, tuple[object, str]] = {}
    canon = {a.lower(): k for k, aliases in SETTING_KEYS.items() for a in (k, *aliases)}
    for i in t:
        key = _text(t.value(i, k_col))
        if not key:
            continue
        raw[canon.get(key.lower(), key)] = (t.value(i, v_col), t.cell(i, v_col))
    kw: dict[str, object] = {"cells": {k: cell for k, (_, cell) in raw.items()}}
    extra = {k: _text(v) for k, (v, _) in raw.items() if k not in SETTING_KEYS}
    kw["extra"] = extra

    def get(key: str) -> tuple[object, str]:
        return raw.get(key, (None, ""))

    for key, attr in (
        ("考核名称", "title"),
        ("考核年度", "year"),
        ("发文机关", "issuer"),
        ("文号", "doc_number"),
        ("主送机关", "recipients"),
    ):
        if _text(get(key)[0]):
            kw[attr] = _text(get(key)[0])
    value, cell = get("成文日期")
    if not is_blank(value):
        kw["date"] = _date_text(value, c, t.sheet, cell)
    value, cell = get("等次标准")
    if not is_blank(value):
        try:
            kw["grades"] = parse_grades(_text(value))
        except ValueError as exc:
            c.error(t.sheet, cell, f"等次标准 {quote(value)}：{exc}")
    value, cell = get("优秀比例")
    if not is_blank(value):
        try:
            kw["excellent_ratio"], kw["ratio_by_category"] = _per_category(_text(value), _ratio)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                kw["excellent_ratio"] = _ratio(value)
        except ValueError:
            c.error(t.sheet, cell, f"优秀比例 {quote(value)} 不是有效的比例（应形如 20%）")
    value, cell = get("优秀名额")
    if not is_blank(value):
        try:
            kw["excellent_count"], kw["count_by_category"] = _per_category(_text(value), _count)
        except ValueError:
            c.error(t.sheet, cell, f"优秀名额 {quote(value)} 不是有效的名额（应为整数，如 6 或 前6名）")
    for key, attr, choices in (
        ("比例取整", "rounding", ROUNDING),
        ("否决效果", "veto_mode", VETO_MODES),
        ("并列处理", "quota_ties", QUOTA_TIES),
    ):
        value, cell = get(key)
        if is_blank(value):
            continue
        if _text(value) not in choices:
            c.error(t.sheet, cell, f"{key} {quote(value)} 无效（应为 {'、'.join(choices)} 之一）")
        else:
            kw[attr] = _text(value)
    for key, attr in (("加分上限", "bonus_cap"), ("扣分上限", "penalty_cap"), ("满分", "full_marks")):
        value, cell = get(key)
        if is_blank(value):
            continue
        n = parse_number(value)
        if n is None or n < 0:
            c.error(t.sheet, cell, f"{key} {quote(value)} 不是有效数字（应为不小于 0 的数）")
        else:
            kw[attr] = n
    value, cell = get("排名依据")
    if not is_blank(value):
        kw["tie_breakers"] = tuple(p for p in _LIST_SPLIT.split(_text(value)) if p)
    value, cell = get("定性折算")
    if not is_blank(value):
        try:
            kw["grade_table"] = parse_grade_table(_text(value))
        except ValueError as exc:
            c.error(t.sheet, cell, f"定性折算 {quote(value)}：{exc}")
    settings = Settings(**kw)
    for cat in (*settings.ratio_by_category, *settings.count_by_category):
        if categories and cat not in categories:
            c.error(
                t.sheet,
                settings.cells.get("优秀比例") or settings.cells.get("优秀名额", ""),
                f"类别 {quote(cat)} 不在单位表中",
            )
    return settings


def _date_text(value: object, c: _Collector, sheet: str, cell: str) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    n = parse_number(value)
    if n is not None and 20000 < n < 80000:  # an Excel date serial
        return (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(n))).date().isoformat()
    text = _text(value)
    m = re.fullmatch(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?", text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            pass
    c.error(sheet, cell, f"成文日期 {quote(value)} 不是有效日期（应形如 2026年1月20日）")
    return ""


def _parse_units(t: Table | None, c: _Collector) -> tuple[Unit, ...]:
    if t is None:
        return ()
    cols = _find_columns(t, {"编码": ("code", "单位编码"), "名称": ("name", "单位名称"), "类别": ("category",)})
    for name in ("编码", "名称", "类别"):
        if cols[name] is None:
            c.error(t.sheet, "", f"缺少 “{name}” 列")
    if None in cols.values():
        return ()
    units, seen = [], {}
    for i in t:
        code = _text(t.value(i, cols["编码"]))
        name = _text(t.value(i, cols["名称"]))
        cat = _text(t.value(i, cols["类别"]))
        if not (code or name or cat):
            continue
        if not code:
            c.error(t.sheet, t.cell(i, cols["编码"]), f"单位 {quote(name)} 的编码为空")
            continue
        # A look-alike is reported and kept: its rows elsewhere then report at their own cells.
        c.lookalike(t, i, cols["编码"], code, "单位编码")
        if code in seen:
            c.error(t.sheet, t.cell(i, cols["编码"]), f"单位编码 {quote(code)} 重复（已见于 {seen[code]}）")
            continue
        seen[code] = t.cell(i, cols["编码"])
        if not cat:
            c.error(t.sheet, t.cell(i, cols["类别"]), f"单位 {quote(code)} 的类别为空")
        units.append(Unit(code, name or code, cat, {"": t.cell(i, cols["编码"])}))
    if not units:
        c.error(t.sheet, "", "没有任何单位")
    return tuple(units)


def _parse_indicators(
    t: Table | None, c: _Collector, categories: set[str], settings: Settings
) -> tuple[Indicator, ...]:
    if t is None:
        return ()
    cols = _find_columns(t, INDICATOR_COLUMNS)
    for name in ("编码", "分值", "计分方法"):
        if cols[name] is None:
            c.error(t.sheet, "", f"缺少 “{name}” 列")
    if cols["编码"] is None or cols["分值"] is None or cols["计分方法"] is None:
        return ()
    out, seen = [], {}
    for i in t:
        row = {k: t.value(i, j) for k, j in cols.items()}
        if all(is_blank(v) for v in row.values()):
            continue
        ind = _parse_indicator(t, i, cols, row, c, categories, settings, seen)
        if ind is not None:
            out.append(ind)
    c.indicator_codes.update(seen)
    if not seen:
        c.error(t.sheet, "", "没有任何指标")
    return tuple(out)


def _parse_indicator(t, i, cols, row, c: _Collector, categories, settings, seen) -> Indicator | None:
    """One 指标 row: the columns every indicator has, then its method's own (checked by the method)."""
    sheet = t.sheet

    def cell(name: str) -> str:
        j = cols.get(name)
        return t.cell(i, j) if j is not None else f"第{t.row_numbers[i]}行"

    code = _text(row["编码"])
    if not code:
        c.error(sheet, cell("编码"), "指标编码为空")
        return None
    if code in seen:
        c.error(sheet, cell("编码"), f"指标编码 {quote(code)} 重复（已见于 {seen[code]}）")
        return None
    seen[code] = cell("编码")
    errors_before = sum(p.is_error for p in c.problems)
    c.lookalike(t, i, cols["编码"], code, "指标编码")
    name = _text(row["指标名称"]) or code
    dimension = _text(row["维度"])
    if not dimension:
        c.error(sheet, cell("维度"), f"指标 {quote(code)} 的维度为空")
    points = c.number(t, i, cols["分值"], "分值", required=True)
    bad_points = points_problem(points, row["分值"]) if points is not None else None
    if bad_points:
        c.error(sheet, cell("分值"), bad_points)
    method_text = _text(row["计分方法"])
    method = lookup(method_text) if method_text else None
    if not method:
        if not method_text:
            c.error(sheet, cell("计分方法"), f"指标 {quote(code)} 的计分方法为空")
        else:
            c.error(
                sheet,
                cell("计分方法"),
                unknown_method_message(method_text, c.suggest(method_text, WORKBOOK_NAMES, sheet)),
            )
    direction = _text(row["方向"])
    positive = _DIRECTIONS.get(direction.lower(), None) if direction else True
    if positive is None:
        c.error(sheet, cell("方向"), f"方向 {quote(direction)} 无效（应为 正向 或 逆向）")
        positive = True
    cats = tuple(p for p in _LIST_SPLIT.split(_text(row["适用类别"])) if p)
    for cat in cats:
        if categories and cat not in categories:
            c.error(
                sheet,
                cell("适用类别"),
                f"适用类别 {quote(cat)} 不是单位表中的类别{c.suggest(cat, categories, sheet)}（现有：{'、'.join(sorted(categories))}）",
            )
    kw: dict[str, object] = {}
    if method is not None:
        kw, reported = _method_fields(t, i, cols, row, c, code, method, settings)
        probe = Indicator(code, name, dimension, points, method.key, positive, **kw)
        for column, message in method.problems(probe, row, reported):
            c.error(sheet, cell(column), message)
    for column, attr in (("合理下限", "plausible_min"), ("合理上限", "plausible_max")):
        if cols[column] is not None:
            kw[attr] = c.number(t, i, cols[column], column)
    if sum(p.is_error for p in c.problems) > errors_before or method is None or points is None:
        return None
    cells = {name: t.cell(i, j) for name, j in cols.items() if j is not None}
    cells[""] = cell("编码")
    return Indicator(
        code=code,
        name=name,
        dimension=dimension,
        points=points,
        method=method.key,
        positive=positive,
        categories=cats,
        formula=_text(row["公式"]),
        unit=_text(row["计量单位"]),
        note=_text(row["说明"]),
        cells=cells,
        **kw,
    )


def _method_fields(
    t, i, cols, row, c: _Collector, code: str, method: Method, settings
) -> tuple[dict[str, object], set[str]]:
    """Read the columns ``method`` uses: the Indicator fields, and the columns whose problem
    is recorded already (column missing, blank, unreadable) so that the method's check skips them."""
    values: list[object] = []
    reported: set[str] = set()
    for p in method.params:
        j = cols[p.column]
        value = None
        if j is None:
            if p.required and p.column not in reported:
                c.error(t.sheet, f"第{t.row_numbers[i]}行", f"指标 {quote(code)} 的计分方法需要 “{p.column}” 列")
                reported.add(p.column)
        elif p.parse is None:
            before = len(c.problems)
            value = c.number(t, i, j, p.column)
            if len(c.problems) > before:
                reported.add(p.column)
        elif text := _text(row[p.column]):
            try:
                value = p.parse(text)
            except ValueError as exc:
                c.error(t.sheet, t.cell(i, j), str(exc))
                reported.add(p.column)
        if value is None and p.required and p.column not in reported:
            # Blank: reported here, in the order of the columns, with the method's own words.
            c.error(t.sheet, t.cell(i, j), p.missing_message)
            reported.add(p.column)
        values.append(value)
    return method.fields(values, settings), reported


def _parse_rows(t: Table | None, c: _Collector, spec: Mapping[str, tuple[str, ...]], required: tuple[str, ...]):
    """Yield (i, {column: value}, cols) for the non-blank rows of an optional sheet."""
    if t is None:
        return
    cols = _find_columns(t, spec)
    missing = [n for n in required if cols[n] is None]
    for n in missing:
        c.error(t.sheet, "", f"缺少 “{n}” 列")
    if missing:
        return
    for i in t:
        row = {k: t.value(i, j) for k, j in cols.items()}
        if all(is_blank(v) for v in row.values()):
            continue
        yield i, row, cols


def _check_unit(t: Table, i: int, j: int, code: str, units: Mapping[str, Unit], c: _Collector) -> bool:
    if not code:
        c.error(t.sheet, t.cell(i, j), "单位编码为空")
        return False
    if c.lookalike(t, i, j, code, "单位编码"):
        return False
    if code not in units:
        c.error(t.sheet, t.cell(i, j), f"单位编码 {quote(code)} 不在单位表中{c.suggest(code, units, t.sheet)}")
        return False
    return True


def _parse_adjustments(t, c: _Collector, units) -> tuple[Adjustment, ...]:
    spec = {"单位编码": ("unit", "编码"), "类型": ("kind", "type"), "分值": ("points",), "事由": ("reason",)}
    out = []
    for i, row, cols in _parse_rows(t, c, spec, ("单位编码", "类型", "分值")):
        code = _text(row["单位编码"])
        ok = _check_unit(t, i, cols["单位编码"], code, units, c)
        kind = _text(row["类型"])
        if kind not in ("加分", "扣分"):
            c.error(t.sheet, t.cell(i, cols["类型"]), f"类型 {quote(row['类型'])} 无效（应为 加分 或 扣分）")
            ok = False
        pts = c.number(t, i, cols["分值"], "分值", required=True)
        if pts is None:
            continue
        if pts < 0 and kind == "扣分":
            pts = -pts  # "-2" under 扣分 means 2 points off, the sign is redundant
        elif pts < 0:
            c.error(
                t.sheet, t.cell(i, cols["分值"]), f"加分的分值 {quote(row['分值'])} 不能为负（扣分请选类型 “扣分”）"
            )
            ok = False
        if ok:
            out.append(Adjustment(code, kind, pts, _text(row["事由"]), f"{t.sheet}!{t.cell(i, cols['分值'])}"))
    return tuple(out)


def _parse_vetoes(t, c: _Collector, units) -> tuple[Veto, ...]:
    spec = {"单位编码": ("unit", "编码"), "事项": ("item",), "事由": ("reason",)}
    out = []
    for i, row, cols in _parse_rows(t, c, spec, ("单位编码",)):
        code = _text(row["单位编码"])
        if _check_unit(t, i, cols["单位编码"], code, units, c):
            out.append(Veto(code, _text(row["事项"]), _text(row["事由"]), f"{t.sheet}!{t.cell(i, cols['单位编码'])}"))
    return tuple(out)


def _parse_corrections(t, c: _Collector, units, indicators) -> tuple[Correction, ...]:
    spec = {"单位编码": ("unit", "编码"), "指标编码": ("indicator",), "系数": ("coefficient",), "事由": ("reason",)}
    out, seen = [], {}
    for i, row, cols in _parse_rows(t, c, spec, ("单位编码", "系数")):
        code = _text(row["单位编码"])
        ok = _check_unit(t, i, cols["单位编码"], code, units, c)
        ind = _text(row["指标编码"])
        if ind and c.lookalike(t, i, cols["指标编码"], ind, "指标编码"):
            ok = False
        elif ind and ind not in indicators:
            c.error(
                t.sheet,
                t.cell(i, cols["指标编码"]),
                f"指标编码 {quote(ind)} 不在指标表中{c.suggest(ind, indicators, t.sheet)}",
            )
            ok = False
        coef = c.number(t, i, cols["系数"], "系数", required=True)
        if coef is not None and coef <= 0:
            c.error(t.sheet, t.cell(i, cols["系数"]), f"修正系数 {quote(row['系数'])} 应大于 0")
            ok = False
        where = t.cell(i, cols["单位编码"])
        if (code, ind) in seen:
            c.error(
                t.sheet,
                where,
                f"单位 {quote(code)} 的{('指标 ' + quote(ind)) if ind else '总分'}修正重复（已见于 {seen[(code, ind)]}）",
            )
            ok = False
        seen[(code, ind)] = where
        if ok and coef is not None:
            out.append(Correction(code, ind, coef, _text(row["事由"]), f"{t.sheet}!{t.cell(i, cols['系数'])}"))
    return tuple(out)


# --- data ------------------------------------------------------------------------
_IS_NUMBER = np.frompyfunc(lambda v: type(v) in (float, int), 1, 1)
_NUMBER_TYPES = {float, int}


def _object_grid(rows, width: int) -> np.ndarray:
    """The rows as a 2-D object array ``len(rows) × width`` (short rows padded with None)."""
    if rows and all(len(r) == width for r in rows):
        grid = np.empty((len(rows), width), dtype=object)
        grid[:] = rows
        return grid
    grid = np.empty((len(rows), width), dtype=object)
    for i, r in enumerate(rows):
        n = min(len(r), width)
        grid[i, :n] = r[:n]
    return grid


def _parse_data(t: Table | None, c: _Collector, units: tuple[Unit, ...], indicators: tuple[Indicator, ...]) -> Dataset:
    unit_codes = [u.code for u in units]
    by_code = {i.code: i for i in indicators}
    empty = pd.DataFrame(index=pd.Index(unit_codes, dtype=object))
    if t is None:
        return Dataset(empty, empty.astype(bool))
    ucol = t.column_index("单位编码", "编码", "unit", "code")
    if ucol is None:
        c.error(t.sheet, "", "缺少 “单位编码” 列")
        return Dataset(empty, empty.astype(bool))
    unit_set = set(unit_codes)
    row_of: dict[str, int] = {}
    seen: dict[str, str] = {}
    for i in t:
        code = _text(t.value(i, ucol))
        if not code:
            if any(not is_blank(v) for v in t.rows[i]):
                c.error(t.sheet, t.cell(i, ucol), "单位编码为空，但这一行有数据")
            continue
        if c.lookalike(t, i, ucol, code, "单位编码") and code not in unit_set:
            continue
        if code not in unit_set:
            c.error(
                t.sheet, t.cell(i, ucol), f"单位编码 {quote(code)} 不在单位表中{c.suggest(code, unit_set, t.sheet)}"
            )
            continue
        if code in seen:
            c.error(t.sheet, t.cell(i, ucol), f"单位编码 {quote(code)} 重复（已见于 {seen[code]}）")
            continue
        seen[code] = t.cell(i, ucol)
        row_of[code] = i
    for u in units:
        if u.code not in row_of:
            c.warn(t.sheet, "", f"单位 {quote(u.code)}（{u.name}）在数据表中没有数据行，各指标按未填报计 0 分")
    letters = {col: t.letters[j] for j, col in enumerate(t.columns) if col}
    rows_excel = {code: t.row_numbers[i] for code, i in row_of.items()}
    # Positions of each unit's data row, in the scheme's unit order (-1: no row).
    pos = np.array([row_of.get(code, -1) for code in unit_codes], dtype=int)
    width = len(t.columns)
    grid = _object_grid(t.rows, width)
    formulas_use: set[str] = set()
    for ind in indicators:
        if ind.formula:
            # The parser's own list of names: brackets, full-width operators and functions are handled.
            formulas_use.update(formula_names(ind.formula))
    values: dict[str, np.ndarray] = {}
    nas: dict[str, np.ndarray] = {}
    texts: dict[str, pd.Series] = {}
    category = np.array([u.category for u in units], dtype=object)
    has_gaps = bool((pos < 0).any())
    applies_cache: dict[tuple[str, ...], np.ndarray] = {}
    misspelt: set[str] = set()  # indicators whose column is there, as a reported look-alike
    for j, col in enumerate(t.columns):
        if j == ucol or not col:
            continue
        ind = by_code.get(col)
        if ind is None and col not in c.indicator_codes and code_problem(col):
            meant = normalise_code(col)
            if meant in by_code or meant in c.indicator_codes:
                # A look-alike of an indicator's code: ignoring it would score the indicator 0.
                c.error(t.sheet, t.header_cell(j), f"列 {code_problem(col)}")
                misspelt.add(meant)
                continue
        invalid = ind is None and col in c.indicator_codes  # its row in 指标 has a reported mistake
        if ind is None and col not in formulas_use and not invalid:
            # Extra columns (unit names, notes) are kept in the sheet and ignored here.
            if col.lower() not in _DATA_EXTRAS:
                hint = c.suggest(col, c.indicator_codes, t.sheet)
                c.warn(t.sheet, t.header_cell(j), f"列 {quote(col)} 不是指标编码，已忽略{hint}")
            continue
        raw = grid[np.maximum(pos, 0), j] if len(grid) else np.full(len(pos), None, dtype=object)
        if has_gaps:
            raw = np.where(pos >= 0, raw, None)
        cats = ind.categories if ind is not None else ()
        applies = applies_cache.get(cats)
        if applies is None:
            applies = np.isin(category, cats) if cats else np.ones(len(units), dtype=bool)
            applies_cache[cats] = applies
        v, na, tx = _parse_column(t, c, col, j, raw, pos, ind, applies)
        if invalid:
            continue  # its cells are checked, but it is not part of the scheme
        values[col], nas[col] = v, na
        if tx is not None:
            texts[col] = pd.Series(tx, index=unit_codes)
    for ind in indicators:
        if ind.code not in values and not ind.formula and ind.code not in misspelt:
            c.error(t.sheet, "", f"缺少指标 {quote(ind.code)}（{ind.name}）的数据列")
    index = pd.Index(unit_codes, dtype=object)
    frame = pd.DataFrame(values, index=index) if values else empty
    na_frame = pd.DataFrame(nas, index=index) if nas else empty.astype(bool)
    return Dataset(frame, na_frame, texts, t.sheet, rows_excel, letters)


def _not_a_number(value: object) -> str:
    text = str(value).strip()
    if text == "#公式未计算":
        return "公式没有计算结果（文件未在 Excel 中保存过），请在 Excel 中打开、保存后重试"
    if text.startswith("#") and (text.endswith(("!", "?")) or text in ("#N/A", "#GETTING_DATA")):
        return f"公式出错 {quote(text)}，请检查该单元格的公式"
    if too_large(value):
        return f"{quote(value)} {_TOO_LARGE}"
    return f"{quote(value)} 不是有效数字"


def _parse_column(t, c: _Collector, col, j, raw, pos, ind: Indicator | None, applies):
    """One data column to floats; records every unreadable cell."""
    n = len(raw)
    out = np.full(n, np.nan)
    if set(map(type, raw)) <= _NUMBER_TYPES:
        # The common case, a column of plain numbers: one conversion, no per-cell work.
        is_num = np.ones(n, dtype=bool)
        out = raw.astype(float)
    else:
        is_num = _IS_NUMBER(raw).astype(bool)
        out[is_num] = raw[is_num].astype(float)
    # Stored numbers meet the rule typed ones meet (parse_number): NaN, infinity and magnitudes
    # of MAX_NUMBER or more are refused, not scored (1e308 would get full marks).
    with np.errstate(invalid="ignore"):
        bad = is_num & ~(np.abs(out) < MAX_NUMBER)
    for k in np.flatnonzero(bad):
        c.error(t.sheet, t.cell(pos[k], j), _not_a_number(raw[k]))
        out[k] = np.nan
    na = np.zeros(n, dtype=bool)
    texts = None
    percent_unit = ind is not None and ind.unit.strip() in ("%", "％", "百分比")
    if ind is not None and ind.method == "grade":
        texts = np.full(n, "", dtype=object)
    for k in np.flatnonzero(~is_num):
        value = raw[k]
        if is_blank(value):
            continue
        if isinstance(value, str) and value.strip() == NOT_APPLICABLE:
            na[k] = True
            continue
        if not applies[k]:
            # The cell is not scored, but a number beyond the bound is refused wherever it is.
            if too_large(value):
                c.error(t.sheet, t.cell(pos[k], j), _not_a_number(value))
            continue
        if texts is not None:
            frac = grade_fraction(ind.grade_table, value)
            if frac is None:
                grades = "、".join(dict.fromkeys(ind.grade_table))
                c.error(t.sheet, t.cell(pos[k], j), f"{quote(value)} 不是有效的定性等级（应为 {grades} 之一）")
            else:
                out[k], texts[k] = frac, str(value).strip()
            continue
        number = parse_number(value)
        if number is None:
            c.error(t.sheet, t.cell(pos[k], j), _not_a_number(value))
        elif percent_unit and str(value).strip().endswith(("%", "％")):
            # The column is already in percent: "95%" typed as text means 95, not 0.95.
            out[k] = number * 100
        else:
            out[k] = number
    if texts is not None:
        # Numbers typed into a 定性 column are not grades.
        for k in np.flatnonzero(is_num & applies & ~bad):
            c.error(
                t.sheet,
                t.cell(pos[k], j),
                f"{quote(raw[k])} 不是有效的定性等级（应为 {'、'.join(dict.fromkeys(ind.grade_table))} 之一）",
            )
            out[k] = np.nan
    if ind is not None:
        _check_range(t, c, j, out, pos, ind, applies)
    return out, na, texts


def _check_range(t, c: _Collector, j, out, pos, ind: Indicator, applies) -> None:
    if ind.method == "manual":
        bad = applies & ((out < 0) | (out > ind.points))
        for k in np.flatnonzero(bad):
            c.error(t.sheet, t.cell(pos[k], j), f"直接得分 {quote(out[k])} 超出 0–{ind.points:g} 分")
    elif ind.method == "deduct":
        for k in np.flatnonzero(applies & (out < 0)):
            c.error(t.sheet, t.cell(pos[k], j), f"扣分项数 {quote(out[k])} 不能为负")


# --- entry point -----------------------------------------------------------------
def build_scheme(tables: Mapping[str, Table], file: str = "") -> tuple[Scheme, Dataset, list[Problem]]:
    """Build and check the scheme and data from the contract sheets.

    ``tables`` maps contract sheet names (设置, 指标, 单位, 数据, 加减分, 否决, 修正) to
    tables. Returns ``(scheme, dataset, problems)``; the caller decides what to do
    with errors (see :func:`load_tables`).
    """
    problems: list[Problem] = []
    c = _Collector(problems, file)
    for required in ("指标", "单位", "数据"):
        if required not in tables:
            c.error(required, "", f"缺少 “{required}” 工作表")
    exempt: tuple = ()
    if exante.is_exante(tables.get("设置")):
        # 事前绩效评估: projects below their amount threshold are listed, not scored.
        plan = exante.plan_exante(tables, c.error)
        tables = exante.restrict(tables, plan.exempt_codes)
        exempt = plan.exempt
    units = _parse_units(tables.get("单位"), c)
    categories = {u.category for u in units if u.category}
    settings = _parse_settings(tables.get("设置"), c, categories)
    indicators = _parse_indicators(tables.get("指标"), c, categories, settings)
    unit_map = {u.code: u for u in units}
    ind_codes = {i.code for i in indicators} | c.indicator_codes
    adjustments = _parse_adjustments(tables.get("加减分"), c, unit_map)
    vetoes = _parse_vetoes(tables.get("否决"), c, unit_map)
    corrections = _parse_corrections(tables.get("修正"), c, unit_map, ind_codes)
    _check_tie_breakers(settings, indicators, c, tables.get("设置"))
    _check_category_totals(settings, indicators, categories, c, tables.get("指标"))
    dataset = _parse_data(tables.get("数据"), c, units, indicators)
    if tables.get("数据") is not None and tables.get("指标") is not None:
        # Every 数据 header counts as a column (a referenced one is always parsed), so typos get suggestions.
        columns = [*dataset.values.columns, *tables["数据"].columns]
        formula_problems, _ = check_formulas(indicators, columns, tables["指标"].sheet, file, c.suggest)
        problems.extend(formula_problems)
    scheme = Scheme(settings, indicators, units, adjustments, vetoes, corrections, exempt=exempt)
    return scheme, dataset, problems


def _check_tie_breakers(settings: Settings, indicators, c: _Collector, t: Table | None) -> None:
    known = {i.code for i in indicators} | {i.dimension for i in indicators}
    for name in settings.tie_breakers:
        if name not in known:
            c.error(
                t.sheet if t else "设置",
                settings.cells.get("排名依据", ""),
                f"排名依据 {quote(name)} 既不是维度也不是指标编码{c.suggest(name, known, t.sheet if t else '设置')}",
            )


def _check_category_totals(settings: Settings, indicators, categories, c: _Collector, t) -> None:
    full = settings.full_marks if settings.full_marks is not None else 100.0
    for cat in sorted(categories):
        total = sum(i.points for i in indicators if i.applies_to(cat))
        if indicators and abs(total - full) > 1e-6:
            c.warn(
                t.sheet if t else "指标",
                "",
                f"类别 {quote(cat)} 的指标分值合计 {total:g} 分，与满分 {full:g} 分不符",
            )


def load_tables(tables: Mapping[str, Table], file: str = "") -> tuple[Scheme, Dataset, list[Problem]]:
    """:func:`build_scheme`, raising :class:`InputError` with every error if there is any.

    Returns ``(scheme, dataset, warnings)``.
    """
    scheme, dataset, problems = build_scheme(tables, file)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise InputError(errors)
    return scheme, dataset, problems


def dataset_from_frame(scheme: Scheme, frame: pd.DataFrame) -> Dataset:
    """Check and convert a pandas DataFrame (index: unit codes; one column per indicator code)
    into a :class:`Dataset`, with the same rules as a 数据 sheet (``不适用``, text numbers,
    定性 grades); raises :class:`InputError` listing every unreadable cell.
    """
    codes = [str(c) for c in frame.index]
    columns = [str(c) for c in frame.columns]
    rows = [[code, *vals] for code, vals in zip(codes, frame.astype(object).itertuples(index=False, name=None))]
    rows = [[None if isinstance(v, float) and math.isnan(v) else v for v in r] for r in rows]
    table = Table("数据", ("单位编码", *columns), rows)
    problems: list[Problem] = []
    # Hand-built 定性 indicators may leave their table to the settings' one.
    indicators = tuple(
        dataclasses.replace(i, grade_table=scheme.settings.grade_table)
        if i.method == "grade" and i.grade_table is None
        else i
        for i in scheme.indicators
    )
    dataset = _parse_data(table, _Collector(problems, ""), scheme.units, indicators)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise InputError(errors)
    return dataset
