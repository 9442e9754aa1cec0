"""The assessment scheme as immutable data: settings, indicators, units and adjustments.

Nothing here reads a file. The scoring methods (their names, parameters and checks) are
in :mod:`perf_excel.core.methods`. The workbook reader builds these objects; Python users can
build them directly. Every object may carry ``cells``: where each field came from
(``{"分值": "指标!F4"}``), so that problems found later still name the cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from types import MappingProxyType

__all__ = [
    "Adjustment",
    "Band",
    "Correction",
    "Entry",
    "Indicator",
    "Scheme",
    "Settings",
    "Unit",
    "Veto",
    "NOT_APPLICABLE",
]

#: The marker a clerk types when an indicator does not apply to a unit.
NOT_APPLICABLE = "不适用"

#: Default 定性 table: grade text -> fraction of 分值.
DEFAULT_GRADE_TABLE: Mapping[str, float] = MappingProxyType(
    {
        **{"优": 1.0, "A": 1.0, "良": 0.8, "B": 0.8, "中": 0.6, "C": 0.6, "差": 0.4, "D": 0.4},
        # The same grades as clerks often write them in full.
        **{"优秀": 1.0, "良好": 0.8, "中等": 0.6, "较差": 0.4},
    }
)

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Band:
    """One clause of a 区间 rule: ``op threshold -> fraction``; ``op == "else"`` always matches."""

    op: str
    threshold: float
    fraction: float


@dataclass(frozen=True)
class Indicator:
    """One row of 指标.

    ``positive`` is 方向 (正向 True, 逆向 False). Method parameters unused by the
    method are ``None``. ``categories`` empty means the indicator applies to all.
    """

    code: str
    name: str
    dimension: str
    points: float
    method: str
    positive: bool = True
    categories: tuple[str, ...] = ()
    target: float | None = None
    floor: float | None = None
    cap: float | None = None
    standards: tuple[float, ...] | None = None
    bands: tuple[Band, ...] | None = None
    band_text: str = ""
    per_item: float | None = None
    step: float | None = None
    step_bound: float | None = None
    step_linear: bool = False
    grade_table: Mapping[str, float] | None = None
    formula: str = ""
    unit: str = ""
    note: str = ""
    plausible_min: float | None = None
    plausible_max: float | None = None
    cells: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def applies_to(self, category: str) -> bool:
        return not self.categories or category in self.categories

    @property
    def method_name(self) -> str:
        """The method's workbook name (完成比例); the registry of methods is the one place of names."""
        from perf_excel.core.methods import method_name  # the methods import this module

        return method_name(self.method)

    def cell(self, column: str) -> str:
        """The cell of one of this indicator's fields, e.g. ``指标!F4``; empty if unknown."""
        return self.cells.get(column, self.cells.get("", ""))


@dataclass(frozen=True)
class Unit:
    """One row of 单位."""

    code: str
    name: str
    category: str
    cells: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Entry:
    """What a row of 加减分, 否决 and 修正 has besides its own fields: the unit, and (by keyword)
    the 事由 and the cell the row is read from."""

    unit: str
    _: KW_ONLY
    reason: str = ""
    cell: str = field(default="", compare=False)


@dataclass(frozen=True)
class Adjustment(Entry):
    """One row of 加减分: ``points`` is positive; ``kind`` is 加分 or 扣分."""

    kind: str
    points: float

    @property
    def is_bonus(self) -> bool:
        return self.kind == "加分"


@dataclass(frozen=True)
class Veto(Entry):
    """One row of 否决."""

    item: str


@dataclass(frozen=True)
class Correction(Entry):
    """One row of 修正: ``indicator`` empty means the unit's total."""

    indicator: str
    coefficient: float


@dataclass(frozen=True)
class Settings:
    """The 设置 sheet, parsed.

    ``grades`` is best first: ``(("优秀", 90), ("良好", 80), ...)``. The 优秀 quota is
    either ``excellent_ratio`` (0.2 for 20 %) with ``rounding`` (向下/四舍五入/向上)
    or ``excellent_count``; both may be per category via the ``*_by_category`` maps.
    ``quota_ties`` decides a tie on the quota boundary: ``不超额`` (none of the tied
    units takes the place, the quota is never exceeded) or ``并列均入`` (all tied
    units take it).
    """

    title: str = "绩效考核"
    year: str = ""
    issuer: str = ""
    doc_number: str = ""
    date: str = ""
    recipients: str = ""
    grades: tuple[tuple[str, float], ...] = (
        ("优秀", 90.0),
        ("良好", 80.0),
        ("合格", 60.0),
        ("不合格", 0.0),
    )
    excellent_ratio: float | None = None
    excellent_count: int | None = None
    ratio_by_category: Mapping[str, float] = field(default_factory=dict)
    count_by_category: Mapping[str, int] = field(default_factory=dict)
    rounding: str = "向下"
    veto_mode: str = "不得评优"
    bonus_cap: float | None = None
    penalty_cap: float | None = None
    quota_ties: str = "不超额"
    tie_breakers: tuple[str, ...] = ()
    full_marks: float | None = None
    grade_table: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_GRADE_TABLE))
    extra: Mapping[str, str] = field(default_factory=dict)
    cells: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def top_grade(self) -> str:
        return self.grades[0][0]

    @property
    def bottom_grade(self) -> str:
        return self.grades[-1][0]


@dataclass(frozen=True)
class Scheme:
    """Everything but the data values: settings, indicators, units and adjustments."""

    settings: Settings
    indicators: tuple[Indicator, ...]
    units: tuple[Unit, ...]
    adjustments: tuple[Adjustment, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    corrections: tuple[Correction, ...] = ()
    #: Units listed but not assessed, with the reason (事前绩效评估: projects below the
    #: amount threshold, graded 不需评估). They are not in ``units``.
    exempt: tuple[tuple[Unit, str], ...] = ()

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Dimensions in the order they first appear in 指标."""
        return tuple(dict.fromkeys(i.dimension for i in self.indicators))

    @property
    def categories(self) -> tuple[str, ...]:
        """Categories in the order they first appear in 单位."""
        return tuple(dict.fromkeys(u.category for u in self.units))

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(code)
