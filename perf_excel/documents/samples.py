"""Small, fixed assessments for template checks, golden files, yearbook tests and benchmarks.

Built directly from the model (no workbook), so that they do not change when the demo
workbook does. Every rule the documents explain occurs: a tie, a rescaled unit (不适用),
a capped bonus, a penalty, a correction, a veto, a unit over the 优秀 quota, and a name
with XML's special characters (``市科创R&D中心<试点>``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perf_excel.core.assess import Results, assess
from perf_excel.core.model import Adjustment, Correction, Indicator, Scheme, Settings, Unit, Veto

__all__ = ["sample_results", "sample_years", "many_units_results"]

_UNITS = (
    ("A01", "青山县", "县市区"),
    ("A02", "绿水区", "县市区"),
    ("A03", "白云县", "县市区"),
    ("A04", "红河区", "县市区"),
    ("A05", "金沙县", "县市区"),
    ("B01", "市财政局", "市直部门"),
    ("B02", "市科创R&D中心<试点>", "市直部门"),
    ("B03", "市教育局", "市直部门"),
    ("B04", "市民政局", "市直部门"),
)

_INDICATORS = (
    Indicator("K1", "地区生产总值增速", "经济发展", 30, "ratio", target=100.0, cap=1.0),
    Indicator("K2", "重点项目完成率", "经济发展", 20, "ratio", target=100.0, cap=1.0, categories=("县市区",)),
    Indicator("K3", "预算执行率", "经济发展", 20, "ratio", target=100.0, cap=1.0, categories=("市直部门",)),
    Indicator("G1", "群众满意度", "公共服务", 30, "ratio", target=100.0, cap=1.0),
    Indicator("R1", "安全生产", "风险防控", 20, "manual"),
)

# Per unit: K1, K2|K3, G1, R1 (before the year's drift). A03 and B02 tie; B03 has 不适用.
_VALUES = {
    "A01": (98.0, 97.0, 96.0, 19.0),
    "A02": (92.0, 88.0, 90.0, 17.5),
    "A03": (95.0, 90.0, 92.0, 18.0),
    "A04": (85.0, 80.0, 86.0, 16.0),
    "A05": (95.0, 90.0, 92.0, 18.0),
    "B01": (99.0, 98.0, 97.0, 19.5),
    "B02": (96.0, 94.0, 93.0, 19.0),
    "B03": (90.0, "不适用", 91.0, 18.0),
    "B04": (80.0, 75.0, 82.0, 15.0),
}


def sample_results(year: int = 2025, drift: float = 0.0, units: int | None = None) -> Results:
    """The sample assessment of ``year``; ``drift`` shifts every value (for other years)."""
    settings = Settings(
        title=f"{year}年度示例市绩效考核",
        year=str(year),
        issuer="示例市绩效考核办公室",
        doc_number=f"示绩考办〔{year + 1}〕1号",
        date=f"{year + 1}-01-20",
        recipients="各县（区），市直各部门",
        excellent_ratio=0.4,
        bonus_cap=2.0,
        penalty_cap=3.0,
    )
    chosen = _UNITS if units is None else _UNITS[:units]
    unit_objs = tuple(Unit(c, n, cat) for c, n, cat in chosen)
    rows = {}
    for code, _, cat in chosen:
        k1, k23, g1, r1 = _VALUES[code]
        row: dict[str, object] = {"K1": k1 - drift, "G1": g1 - drift / 2, "R1": r1}
        row["K2" if cat == "县市区" else "K3"] = k23 if isinstance(k23, str) else k23 - drift
        rows[code] = row
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["K1", "K2", "K3", "G1", "R1"])
    frame = frame.astype(object).where(frame.notna(), np.nan)
    scheme = Scheme(
        settings,
        _INDICATORS,
        unit_objs,
        adjustments=(
            Adjustment("A02", "加分", 2.0, reason="获评省级试点"),
            Adjustment("A02", "加分", 1.5, reason="承办全省现场会"),
            Adjustment("B04", "扣分", 1.0, reason="审计整改不到位"),
        ),
        vetoes=(Veto("A01", "安全生产", reason="发生较大生产安全责任事故"),),
        corrections=(Correction("A04", "K1", 1.05, reason="遭受洪涝灾害，经批准修正"),),
    )
    return assess(scheme, frame)


def sample_years(years: tuple[int, ...] = (2023, 2024, 2025)) -> list[Results]:
    """Several years of the sample, values drifting upwards year by year; 2023 lacks the last unit."""
    out = []
    last = years[-1]
    for y in years:
        units = len(_UNITS) - 1 if y == years[0] and len(years) > 1 else None
        out.append(sample_results(y, drift=(last - y) * 1.5, units=units))
    return out


def many_units_results(n: int = 200, seed: int = 7) -> Results:
    """An assessment of ``n`` synthetic units in three categories (for benchmarks)."""
    rng = np.random.default_rng(seed)
    cats = ("县市区", "市直部门", "国有企业")
    units = tuple(Unit(f"U{i:04d}", f"单位{i:04d}", cats[i % 3]) for i in range(n))
    inds = (
        Indicator("K1", "地区生产总值增速", "经济发展", 30, "ratio", target=100.0, cap=1.0),
        Indicator("K2", "重点项目完成率", "经济发展", 20, "ratio", target=100.0, cap=1.0),
        Indicator("G1", "群众满意度", "公共服务", 30, "ratio", target=100.0, cap=1.0),
        Indicator("R1", "安全生产", "风险防控", 20, "manual"),
    )
    frame = pd.DataFrame(
        {
            "K1": rng.uniform(70, 105, n).round(1),
            "K2": rng.uniform(60, 100, n).round(1),
            "G1": rng.uniform(75, 100, n).round(1),
            "R1": rng.uniform(10, 20, n).round(2),
        },
        index=[u.code for u in units],
    )
    settings = Settings(
        title="基准测试考核", year="2025", issuer="基准测试办公室", date="2026-01-20", excellent_ratio=0.2
    )
    return assess(Scheme(settings, inds, units), frame)
