"""事前绩效评估 (ex-ante evaluation of proposed projects): which projects must be evaluated.

A workbook is an ex-ante evaluation when its 设置 sheet says ``评估类型 = 事前绩效评估``.
Its units are the proposed projects: 单位 has, besides 编码/名称/类别, a column
``项目金额（元）`` (or ``项目金额（万元）``); 类别 is the project type. A project must be
evaluated when its amount reaches the threshold of its type: by default 5,000,000 yuan
for infrastructure (a 类别 containing 基建 or 基础设施) and 3,000,000 yuan for every other
type; ``评估门槛`` in 设置 may set them (``基建项目:500万; 其他:300万``). Projects below
their threshold are not scored: they are listed with the grade ``不需评估`` and the reason.

The scoring itself is the ordinary assessment: the indicators are grouped in the six
dimensions 立项必要性, 投入经济性, 目标合理性, 方案可行性, 实施公正性, 绩效持续性, and
the pass line is the 等次标准 (e.g. ``予以支持:80; 调整完善后予以支持:60; 不予支持:0``).

Pure: works on :class:`~perf_excel.core.tables.Table` objects, imports no file library.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from perf_excel.core.errors import quote
from perf_excel.core.model import Unit
from perf_excel.core.numbers import cell_text, is_blank, parse_number
from perf_excel.core.tables import Table

__all__ = [
    "DIMENSIONS",
    "EXANTE_KIND",
    "EXEMPT_GRADE",
    "INFRASTRUCTURE_THRESHOLD",
    "OTHER_THRESHOLD",
    "ExAntePlan",
    "default_threshold",
    "is_exante",
    "parse_amount",
    "plan_exante",
    "restrict",
]

EXANTE_KIND = "事前绩效评估"
EXEMPT_GRADE = "不需评估"
INFRASTRUCTURE_THRESHOLD = 5_000_000.0
OTHER_THRESHOLD = 3_000_000.0
DIMENSIONS = ("立项必要性", "投入经济性", "目标合理性", "方案可行性", "实施公正性", "绩效持续性")
_KIND_KEYS = ("评估类型", "考核类型", "assessment_type")
_THRESHOLD_KEYS = ("评估门槛", "threshold")
#: Amount column -> yuan per unit typed.
AMOUNT_COLUMNS: Mapping[str, float] = {
    "项目金额（元）": 1.0,
    "项目金额(元)": 1.0,
    "项目金额": 1.0,
    "金额（元）": 1.0,
    "金额": 1.0,
    "amount": 1.0,
    "项目金额（万元）": 10_000.0,
    "项目金额(万元)": 10_000.0,
    "金额（万元）": 10_000.0,
    "金额(万元)": 10_000.0,
}
_OTHER_KEYS = ("其他", "其他项目", "其它", "其它项目", "other")
_SPLIT = re.compile(r"[;；\n]+")

Report = Callable[[str, str, str], None]  # (sheet, cell, message)


@dataclass(frozen=True)
class ExAntePlan:
    """Which projects are evaluated: thresholds by type, amounts in yuan, the exempt ones."""

    thresholds: Mapping[str, float] = field(default_factory=dict)
    other_threshold: float | None = None
    amounts: Mapping[str, float] = field(default_factory=dict)
    exempt: tuple[tuple[Unit, str], ...] = ()

    def threshold(self, category: str) -> float:
        if category in self.thresholds:
            return self.thresholds[category]
        if self.other_threshold is not None and not _is_infrastructure(category):
            return self.other_threshold
        return default_threshold(category)

    @property
    def exempt_codes(self) -> frozenset[str]:
        return frozenset(u.code for u, _ in self.exempt)


def _is_infrastructure(category: str) -> bool:
    return "基建" in category or "基础设施" in category


def default_threshold(category: str) -> float:
    """5,000,000 yuan for infrastructure projects, 3,000,000 for the rest."""
    return INFRASTRUCTURE_THRESHOLD if _is_infrastructure(category) else OTHER_THRESHOLD


def parse_amount(value: object, scale: float = 1.0) -> float | None:
    """An amount in yuan: ``5000000``, ``"5,000,000"``, ``"500万"``, ``"500万元"``, ``"0.05亿"``."""
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        for suffix, factor in (("亿元", 1e8), ("亿", 1e8), ("万元", 1e4), ("万", 1e4), ("元", 1.0)):
            if text.endswith(suffix):
                n = parse_number(text[: -len(suffix)])
                return None if n is None else n * factor
    n = parse_number(value)
    return None if n is None else n * scale


def _setting(t: Table | None, keys: tuple[str, ...]) -> tuple[object, str]:
    if t is None:
        return None, ""
    k_col = t.column_index("项目", "key", "item", "设置项")
    v_col = t.column_index("值", "value", "内容")
    if k_col is None or v_col is None:
        return None, ""
    wanted = {k.lower() for k in keys}
    for i in t:
        key = t.value(i, k_col)
        if not is_blank(key) and str(key).strip().lower() in wanted:
            return t.value(i, v_col), t.cell(i, v_col)
    return None, ""


def is_exante(settings: Table | None) -> bool:
    """True if 设置 says 评估类型 = 事前绩效评估."""
    value, _ = _setting(settings, _KIND_KEYS)
    return not is_blank(value) and str(value).strip() in (EXANTE_KIND, "事前评估", "ex-ante")


def _thresholds(settings: Table | None, error: Report) -> tuple[dict[str, float], float | None]:
    value, cell = _setting(settings, _THRESHOLD_KEYS)
    if is_blank(value):
        return {}, None
    sheet = settings.sheet if settings is not None else "设置"
    text = str(value).strip()
    if not re.search(r"[:：]", text):
        n = parse_amount(value)
        if n is None or n < 0:
            error(sheet, cell, f"评估门槛 {quote(value)} 不是有效金额（应形如 基建项目:500万; 其他:300万）")
            return {}, None
        return {}, n
    out: dict[str, float] = {}
    other = None
    for clause in _SPLIT.split(text):
        if not clause.strip():
            continue
        name, _, amount = re.split(r"([:：])", clause, maxsplit=1) if re.search(r"[:：]", clause) else (clause, "", "")
        n = parse_amount(amount)
        if n is None or n < 0 or not name.strip():
            error(sheet, cell, f"评估门槛 {quote(clause.strip())} 无法识别（应形如 基建项目:500万; 其他:300万）")
            continue
        if name.strip().lower() in _OTHER_KEYS:
            other = n
        else:
            out[name.strip()] = n
    return out, other


def _yuan(amount: float) -> str:
    """``4,999,999 元``: exact, so a project just below the threshold reads as below it."""
    text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return f"{text} 元"


def plan_exante(tables: Mapping[str, Table], error: Report) -> ExAntePlan:
    """Amounts and thresholds of every project; the projects below their threshold are exempt.

    Problems (a blank or unreadable amount, a missing amount column) go to ``error``.
    """
    thresholds, other = _thresholds(tables.get("设置"), error)
    units = tables.get("单位")
    plan = ExAntePlan(thresholds, other)
    if units is None:
        return plan
    code_col = units.column_index("编码", "code", "单位编码", "项目编码")
    name_col = units.column_index("名称", "name", "单位名称", "项目名称")
    cat_col = units.column_index("类别", "category", "项目类型")
    amount_col, scale = None, 1.0
    for name, factor in AMOUNT_COLUMNS.items():
        j = units.column_index(name)
        if j is not None:
            amount_col, scale = j, factor
            break
    if amount_col is None:
        error(units.sheet, "", "事前绩效评估的单位表（项目）缺少 “项目金额（元）” 列（或 “项目金额（万元）”）")
        return plan
    if code_col is None or cat_col is None:
        return plan  # the ordinary checks report the missing columns
    amounts: dict[str, float] = {}
    exempt: list[tuple[Unit, str]] = []
    for i in units:
        code = cell_text(units.value(i, code_col))
        if not code:
            continue
        category = cell_text(units.value(i, cat_col))
        raw = units.value(i, amount_col)
        if is_blank(raw):
            error(units.sheet, units.cell(i, amount_col), f"项目 {quote(code)} 的项目金额为空（据此判断是否需要评估）")
            continue
        amount = parse_amount(raw, scale)
        if amount is None or amount < 0:
            error(units.sheet, units.cell(i, amount_col), f"项目金额 {quote(raw)} 不是有效金额")
            continue
        amounts[code] = amount
        limit = plan.threshold(category)
        if amount < limit:
            name = code if name_col is None or is_blank(units.value(i, name_col)) else str(units.value(i, name_col))
            kind = category if category.endswith("项目") else f"{category or '该类'}项目"
            reason = f"项目金额 {_yuan(amount)}，低于{kind}评估门槛 {_yuan(limit)}，{EXEMPT_GRADE}"
            exempt.append(
                (Unit(code, name.strip(), category, {"": f"{units.sheet}!{units.cell(i, code_col)}"}), reason)
            )
    return ExAntePlan(thresholds, other, amounts, tuple(exempt))


def restrict(tables: Mapping[str, Table], exempt: frozenset[str] | set[str]) -> dict[str, Table]:
    """The tables without the rows of ``exempt`` projects (in 单位, 数据, 加减分, 否决, 修正).

    Rows keep their workbook row numbers, so problems still name the right cells.
    """
    if not exempt:
        return dict(tables)
    out = dict(tables)
    for sheet, names in (
        ("单位", ("编码", "code", "单位编码", "项目编码")),
        ("数据", ("单位编码", "编码", "unit", "code")),
        ("加减分", ("单位编码", "unit", "编码")),
        ("否决", ("单位编码", "unit", "编码")),
        ("修正", ("单位编码", "unit", "编码")),
    ):
        t = tables.get(sheet)
        if t is None:
            continue
        j = t.column_index(*names)
        if j is None:
            continue
        keep = [i for i in t if cell_text(t.value(i, j)) not in exempt]
        out[sheet] = Table(
            sheet=t.sheet,
            columns=t.columns,
            rows=[t.rows[i] for i in keep],
            row_numbers=[t.row_numbers[i] for i in keep],
            letters=t.letters,
            header_row=t.header_row,
            file=t.file,
        )
    return out
