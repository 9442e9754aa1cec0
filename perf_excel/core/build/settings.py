"""The 设置 sheet: title, date, grade thresholds, the 优秀 quota, caps and tie rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime

import pandas as pd

from perf_excel.core.build.collector import LIST_SPLIT, Collector
from perf_excel.core.errors import quote
from perf_excel.core.methods import parse_grade_table
from perf_excel.core.methods._common import CLAUSES
from perf_excel.core.model import Settings
from perf_excel.core.numbers import cell_text, is_blank, parse_number
from perf_excel.core.tables import Table

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
# parse_bands and parse_grade_table live with their methods (core.methods.band, .grade).


def parse_grades(text: str) -> tuple[tuple[str, float], ...]:
    """Parse ``优秀:90; 良好:80; 合格:60; 不合格:0``, best first."""
    grades = []
    for clause in CLAUSES.split(text):
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
    for clause in CLAUSES.split(text):
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
    text = cell_text(value)
    m = re.fullmatch(r"(?:前)?\s*(\d+)\s*(?:名|个)?", text)
    if not m:
        raise ValueError
    return int(m.group(1))


def parse_settings(t: Table | None, c: Collector, categories: set[str]) -> Settings:
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
        key = cell_text(t.value(i, k_col))
        if not key:
            continue
        raw[canon.get(key.lower(), key)] = (t.value(i, v_col), t.cell(i, v_col))
    kw: dict[str, object] = {"cells": {k: cell for k, (_, cell) in raw.items()}}
    extra = {k: cell_text(v) for k, (v, _) in raw.items() if k not in SETTING_KEYS}
    kw["extra"] = extra

    def get(key: str) -> tuple[object, str]:
        return raw.get(key, (None, ""))

    def parsed(key: str, attr: str, parse: Callable[[str], object]) -> None:
        """A rule typed as text; what ``parse`` finds wrong follows the key and the value."""
        value, cell = get(key)
        if is_blank(value):
            return
        try:
            kw[attr] = parse(cell_text(value))
        except ValueError as exc:
            c.error(t.sheet, cell, f"{key} {quote(value)}：{exc}")

    for key, attr in (
        ("考核名称", "title"),
        ("考核年度", "year"),
        ("发文机关", "issuer"),
        ("文号", "doc_number"),
        ("主送机关", "recipients"),
    ):
        if cell_text(get(key)[0]):
            kw[attr] = cell_text(get(key)[0])
    value, cell = get("成文日期")
    if not is_blank(value):
        kw["date"] = _date_text(value, c, t.sheet, cell)
    parsed("等次标准", "grades", parse_grades)
    value, cell = get("优秀比例")
    if not is_blank(value):
        try:
            kw["excellent_ratio"], kw["ratio_by_category"] = _per_category(cell_text(value), _ratio)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                kw["excellent_ratio"] = _ratio(value)
        except ValueError:
            c.error(t.sheet, cell, f"优秀比例 {quote(value)} 不是有效的比例（应形如 20%）")
    value, cell = get("优秀名额")
    if not is_blank(value):
        try:
            kw["excellent_count"], kw["count_by_category"] = _per_category(cell_text(value), _count)
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
        if cell_text(value) not in choices:
            c.error(t.sheet, cell, f"{key} {quote(value)} 无效（应为 {'、'.join(choices)} 之一）")
        else:
            kw[attr] = cell_text(value)
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
        kw["tie_breakers"] = tuple(p for p in LIST_SPLIT.split(cell_text(value)) if p)
    parsed("定性折算", "grade_table", parse_grade_table)
    settings = Settings(**kw)
    for cat in (*settings.ratio_by_category, *settings.count_by_category):
        if categories and cat not in categories:
            c.error(
                t.sheet,
                settings.cells.get("优秀比例") or settings.cells.get("优秀名额", ""),
                f"类别 {quote(cat)} 不在单位表中",
            )
    return settings


def _date_text(value: object, c: Collector, sheet: str, cell: str) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    n = parse_number(value)
    if n is not None and 20000 < n < 80000:  # an Excel date serial
        return (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(n))).date().isoformat()
    text = cell_text(value)
    m = re.fullmatch(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?", text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            pass
    c.error(sheet, cell, f"成文日期 {quote(value)} 不是有效日期（应形如 2026年1月20日）")
    return ""
