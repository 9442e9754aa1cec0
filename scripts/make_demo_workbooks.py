"""Build the demo workbooks in workbooks/ (synthetic but plausible data, fixed seeds).

    python scripts/make_demo_workbooks.py

Run it again after changing the contract; the files it writes are committed. Every
name is fictional; the numbers are random but seeded, so the files are reproducible.

* ``demo_city_2025.xlsx`` — the ``make demo`` workbook: 30 units in 县市区 / 市直部门 /
  国有企业, five dimensions. Planted: X03 (a strong county) is vetoed (不得评优); X01
  claims 2 + 2 bonus points, capped at 3; Q03 has a 1.5-point penalty; B04's Z01 is
  ``不适用`` (rescaled to 100 over 90 points); Q05's S02 is blank (0 points, a warning at
  数据!M28); X07's F02 has a correction coefficient of 1.1.
* ``demo_city_2023.xlsx``, ``demo_city_2024.xlsx`` — the same scheme (indicators with
  合理下限/合理上限, units) two and one year earlier, values drifting back from 2025 by a
  few per cent a year, different bonuses and vetoes. Planted data anomalies:

  - 2024: X05 (东川县) Z01 重点项目投资完成率 is 2025's value / 1.6 (2023 agrees with 2024
    within 2 %): an outlier within 县市区 in 2024, and a jump of +60 % in 2025;
  - 2024 against 2023: Q02 (市交投集团) F04 净资产收益率 rises by 5 points from 2023 (a jump
    above 30 %, inside the plausible range and not an outlier);
  - 2024: X08 (河口县) G03 预算执行偏差率 is 23.5, above its 合理上限 15, an outlier within
    县市区, and a jump against 2023 and (back to normal) against 2025;
  - 2024: B09 (市生态环境局) F03 重点工作推进率 is 35 while the other 11 departments lie
    between about 65 and 100: an outlier within 市直部门, and a jump against 2023 and
    (back to normal) against 2025;
  - 2025: Q05 (市产投集团) S02 群众满意度 is blank.

  The recovery in 2025 of the two planted 2024 values is real and counted as planted.
  The random data have no anomalies of their own: 2025 values that the random stream put
  beyond a robust z of 3.5 are moved within their scoring band (``CALM_2025``, scores
  unchanged), and the earlier years' values are pulled in to a robust z of 3.0
  (:func:`calm_outliers`). So ``perf-excel check`` lists exactly these warnings
  (unit, indicator, kind; tests/test_anomalies_demos.py holds the same lists):

  ========================================  ==============================================
  check                                     warnings
  ========================================  ==============================================
  demo_city_2023.xlsx                       none
  demo_city_2024.xlsx                       X08 G03 超出合理范围; B09 F03 离群;
                                            X05 Z01 离群; X08 G03 离群
  demo_city_2024.xlsx --previous 2023       the four above, and 同比异动 of B09 F03,
                                            Q02 F04, X08 G03
  demo_city_2025.xlsx                       Q05 S02 缺失
  demo_city_2025.xlsx --previous 2024       Q05 S02 缺失, and 同比异动 of B09 F03,
                                            X05 Z01, X08 G03
  ========================================  ==============================================

* ``demo_kunming_2025.xlsx`` — Kunming-style: 40 units (14 县市区, 18 市直部门, 8 国有企业),
  dimensions 奋斗目标 30 / 重点目标 25 / 职能目标 15 / 实事目标 10 / 共性目标 20 with
  one-vote veto directly graded 不合格 (Y03 and K11 vetoed), 优秀 quota in places per category.
* ``demo_yueyang_2025.xlsx`` — Yueyang-style classified assessment: 市直部门 and 国有企业
  scored on different indicator sets in 经济发展 / 公共服务 / 风险防控 / 可持续性
  (departments: 政策落实率, 政务公开, 信访办结率 …; enterprises: 主业聚焦度, 净资产收益率 by
  功效系数, 融资成本 reverse, 绿色投资比例 …), an SOE difficulty coefficient via 修正.
* ``demo_exante_2026.xlsx`` — 事前绩效评估 of 30 proposed projects: 评估类型 in 设置, amount
  and type (基建项目 / 其他项目) in 单位; projects of 5,000,000 yuan and more (基建) or
  3,000,000 and more (other) are scored on the six dimensions, the rest listed as 不需评估
  (boundary cases P04 exactly 5,000,000 and P18 exactly 3,000,000 are evaluated); the
  pass line is the 等次标准 予以支持 ≥ 80, 调整完善后予以支持 ≥ 60, 不予支持 < 60.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "workbooks"

HEADER_FONT = Font(name="黑体", bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

INDICATOR_HEADER = [
    "编码", "维度", "指标名称", "适用类别", "分值", "计分方法", "方向", "目标值", "下限", "封顶",
    "优秀值", "良好值", "平均值", "较低值", "较差值", "区间", "每项扣分", "步长", "公式", "计量单位", "说明",
    "合理下限", "合理上限",
]  # fmt: skip

#: Plausible ranges (数据异动预警) of the city indicators.
CITY_RANGES = {
    "F01": (50, 120), "F02": (-5, 15), "F03": (0, 100), "F04": (-15, 20), "Z01": (0, 150), "Z02": (0, 100),
    "Z03": (0, 5), "J02": (0, 10), "S01": (0, 100), "S02": (50, 100), "G02": (50, 100), "G03": (0, 15),
}  # fmt: skip

# (code, dimension, name, categories, points, method, direction, params...)
CITY_INDICATORS = [
    dict(编码="F01", 维度="奋斗目标", 指标名称="年度目标任务完成率", 分值=10, 计分方法="完成比例", 目标值=100, 计量单位="%"),
    dict(编码="F02", 维度="奋斗目标", 指标名称="地区生产总值增速", 适用类别="县市区", 分值=10, 计分方法="功效系数",
         优秀值=8, 良好值=7, 平均值=6, 较低值=5, 较差值=4, 计量单位="%"),
    dict(编码="F03", 维度="奋斗目标", 指标名称="重点工作推进率", 适用类别="市直部门", 分值=10, 计分方法="线性",
         下限=60, 目标值=100, 计量单位="%"),
    dict(编码="F04", 维度="奋斗目标", 指标名称="净资产收益率", 适用类别="国有企业", 分值=10, 计分方法="功效系数",
         优秀值=12, 良好值=9.5, 平均值=1.7, 较低值=-3, 较差值=-8, 计量单位="%"),
    dict(编码="Z01", 维度="重点目标", 指标名称="重点项目投资完成率", 分值=10, 计分方法="完成比例", 目标值=100, 计量单位="%"),
    dict(编码="Z02", 维度="重点目标", 指标名称="重点改革任务完成率", 分值=10, 计分方法="区间",
         区间=">=95:1; >=90:0.8; >=80:0.6; else:0.3", 计量单位="%"),
    dict(编码="Z03", 维度="重点目标", 指标名称="营商环境第三方评价", 分值=5, 计分方法="直接", 计量单位="分",
         说明="第三方评估机构给出的得分"),
    dict(编码="J01", 维度="职能目标", 指标名称="职能工作综合考评", 分值=15, 计分方法="定性", 说明="优/良/中/差"),
    dict(编码="J02", 维度="职能目标", 指标名称="安全生产责任事故", 分值=10, 计分方法="扣分", 每项扣分=2, 计量单位="起"),
    dict(编码="S01", 维度="实事目标", 指标名称="民生实事项目完成率", 分值=5, 计分方法="达标", 目标值=95, 计量单位="%"),
    dict(编码="S02", 维度="实事目标", 指标名称="群众满意度", 分值=5, 计分方法="完成比例", 目标值=90, 计量单位="%"),
    dict(编码="G01", 维度="共性目标", 指标名称="党风廉政建设", 分值=8, 计分方法="定性", 说明="一票否决事项另见否决表"),
    dict(编码="G02", 维度="共性目标", 指标名称="信访事项按期办结率", 分值=6, 计分方法="区间",
         区间=">=98:1; >=95:0.8; >=90:0.6; else:0.2", 计量单位="%"),
    dict(编码="G03", 维度="共性目标", 指标名称="预算执行偏差率", 分值=6, 计分方法="完成比例", 方向="逆向", 目标值=5,
         计量单位="%", 说明="偏差率越低越好"),
]  # fmt: skip

COUNTIES = ["青山区", "江北区", "南湖区", "西岭区", "东川县", "云溪县", "石林县", "河口县", "北塘市", "松华县"]
DEPARTMENTS = [
    "市发展改革委", "市财政局", "市教育局", "市科技局", "市工业和信息化局", "市民政局",
    "市人力资源社会保障局", "市自然资源局", "市生态环境局", "市住房城乡建设局", "市交通运输局",
    "市科创R&D中心<试点>",
]  # fmt: skip
ENTERPRISES = [
    "市城投集团",
    "市交投集团",
    "市水务集团",
    "市文旅集团",
    "市产投集团",
    "市国资运营公司",
    "市能源集团",
    "市农投集团",
]

GRADES = ["优", "良", "中", "差"]


def style_header(ws, widths: dict[str, int] | None = None) -> None:
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.freeze_panes = "A2"
    for col, w in (widths or {}).items():
        ws.column_dimensions[col].width = w


def city_values(rng: random.Random, category: str, strength: float) -> dict[str, object]:
    """One unit's values; ``strength`` in 0..1 makes good units good across the board."""

    def around(center: float, spread: float, lo: float | None = None, hi: float | None = None, nd: int = 1) -> float:
        v = rng.gauss(center, spread)
        if lo is not None:
            v = max(lo, v)
        if hi is not None:
            v = min(hi, v)
        return round(v, nd)

    s = strength
    values: dict[str, object] = {
        "F01": around(88 + 14 * s, 3, 70, 110),
        "Z01": around(85 + 18 * s, 4, 60, 125),
        "Z02": around(84 + 14 * s, 3, 60, 100),
        "Z03": around(3.2 + 1.7 * s, 0.3, 0, 5, 2),
        "J01": GRADES[min(3, max(0, int(round((1 - s) * 3 + rng.uniform(-0.6, 0.6)))))],
        "J02": max(0, int(round(rng.uniform(0, 2.4) * (1.2 - s)))),
        "S01": around(94 + 8 * s, 3, 80, 100, 0),
        "S02": around(82 + 10 * s, 2.5, 60, 99),
        "G01": GRADES[min(3, max(0, int(round((1 - s) * 2 + rng.uniform(-0.5, 0.5)))))],
        "G02": around(92 + 7 * s, 1.5, 80, 100),
        "G03": around(7.5 - 4 * s, 0.8, 0.5, 15),
    }
    if category == "县市区":
        values["F02"] = around(4.5 + 4 * s, 0.6, 2, 10)
    elif category == "市直部门":
        values["F03"] = around(70 + 32 * s, 4, 50, 100, 0)
    else:
        values["F04"] = around(-2 + 14 * s, 1.5, -12, 16, 2)
    return values


def city_units() -> list[tuple[str, str, str]]:
    return (
        [(f"X{i + 1:02d}", n, "县市区") for i, n in enumerate(COUNTIES)]
        + [(f"B{i + 1:02d}", n, "市直部门") for i, n in enumerate(DEPARTMENTS)]
        + [(f"Q{i + 1:02d}", n, "国有企业") for i, n in enumerate(ENTERPRISES)]
    )


def city_values_2025(seed: int = 2025) -> dict[str, dict[str, object]]:
    """Every unit's 2025 values (the random stream of the original demo, unchanged)."""
    rng = random.Random(seed)
    out = {}
    for code, _, cat in city_units():
        strength = rng.random()
        if code == "X03":
            strength = 0.97  # a strong county whose veto keeps it from 优秀
        out[code] = city_values(rng, cat, strength)
    # B04 (市科技局) has no projects: 重点项目投资完成率 does not apply -> rescaled.
    out["B04"]["Z01"] = "不适用"
    for (code, ind), value in CALM_2025.items():
        out[code][ind] = value
    return out


#: 2025 values drawn a little too far from their category's median (robust z beyond 3.5) by the
#: random stream, moved towards it within the same scoring band, so that no score changes:
#: 区间 >=80 -> 0.6 and >=95 -> 1 (Z02), 达标 below 95 -> 0 (S01).
CALM_2025 = {
    ("X02", "Z02"): 85.5,  # was 84.1
    ("X08", "Z02"): 97.0,  # was 100
    ("X05", "S01"): 94,  # was 93
    ("B04", "S01"): 93,  # was 90
}

#: Outliers of the earlier years' random data are pulled in to this robust z (below the 3.5 of check).
CALM_Z = 3.0
#: Methods that ``perf-excel check`` leaves out of the outlier and year-on-year rules.
_UNCHECKED_METHODS = ("定性", "扣分")


def calm_outliers(values: dict[str, dict[str, object]], keep: set[tuple[str, str]] = frozenset()) -> None:
    """Move every value whose robust z within its category exceeds ``CALM_Z`` to that z, in place.

    The same statistic as :func:`perf_excel.core.anomalies.robust_z` (0.6745 (x − median) / MAD);
    the value stays on its side of the median, so the median and the MAD do not move.
    Cells in ``keep`` (planted anomalies) are left alone.
    """
    from statistics import median

    category = {code: cat for code, _, cat in city_units()}
    for ind in CITY_INDICATORS:
        code = ind["编码"]
        if ind["计分方法"] in _UNCHECKED_METHODS:
            continue
        nd = 2 if code in ("Z03", "F04") else 1
        for cat in dict.fromkeys(category.values()):
            cells = {
                u: float(row[code])
                for u, row in values.items()
                if category[u] == cat and isinstance(row.get(code), (int, float)) and not isinstance(row[code], bool)
            }
            if len(cells) < 5:
                continue
            med = median(cells.values())
            mad = median(abs(x - med) for x in cells.values())
            if mad == 0:
                continue
            reach = CALM_Z * mad / 0.6745
            for u, x in cells.items():
                if (u, code) in keep or abs(x - med) <= reach:
                    continue
                # Rounded towards the median, so the new value is inside the reach.
                step = 10**-nd
                inside = med + reach if x > med else med - reach
                q = round(inside, nd)
                if abs(q - med) > reach:
                    q = round(q - step if x > med else q + step, nd)
                values[u][code] = q


#: Indicators whose values sit near zero: they drift by absolute steps, not by a percentage.
_ABSOLUTE_DRIFT = {"F02": 0.25, "F04": 0.4, "G03": 0.3}


def earlier_year(values: dict[str, dict[str, object]], rng: random.Random) -> dict[str, dict[str, object]]:
    """The year before: each number a few per cent lower or higher, grades and counts kept."""
    out = {}
    for code, row in values.items():
        prev = {}
        for ind, v in row.items():
            if not isinstance(v, (int, float)) or ind in ("J02",):
                prev[ind] = v
                continue
            lo, hi = CITY_RANGES.get(ind, (None, None))
            if ind in _ABSOLUTE_DRIFT:
                # Bounded by a fifth of the value, so that a value near zero does not jump.
                step = rng.gauss(0, _ABSOLUTE_DRIFT[ind])
                p = v + max(-0.2 * abs(v), min(0.2 * abs(v), step))
            else:
                p = v / (1 + rng.gauss(0.02, 0.03))
            if hi is not None:
                p = min(max(p, lo), hi)
            prev[ind] = round(p, 2 if ind in ("Z03", "F04") else 1)
        out[code] = prev
    return out


CITY_YEARS = {
    2025: dict(
        adjustments=[
            ("X01", "加分", 2, "获评国家级营商环境创新试点"),
            ("X01", "加分", 2, "承办全省现场推进会"),  # 4 claimed, capped at 3
            ("B02", "加分", 1, "预算绩效管理工作获省通报表扬"),
            ("Q03", "扣分", 1.5, "审计发现问题整改不到位"),
        ],
        vetoes=[("X03", "安全生产", "发生较大生产安全责任事故")],
        corrections=[("X07", "F02", 1.1, "遭受特大洪涝灾害，经批准动态修正")],
    ),
    2024: dict(
        adjustments=[("X01", "加分", 1, "获评省级营商环境示范县"), ("B05", "扣分", 1, "督查发现整改不力")],
        vetoes=[("Q04", "安全生产", "发生较大生产安全责任事故")],
        corrections=[],
    ),
    2023: dict(
        adjustments=[("X02", "加分", 2, "获评全国文明城市"), ("Q01", "加分", 1, "改革经验获省推广")],
        vetoes=[("B06", "网络安全", "发生重大网络安全事件")],
        corrections=[("X04", "", 1.05, "遭受地震灾害，经批准修正总分")],
    ),
}


def city_years() -> dict[int, dict[str, dict[str, object]]]:
    """Values of 2025, 2024 and 2023 with the planted anomalies listed in the module docstring."""
    v2025 = city_values_2025()
    rng = random.Random(2024)
    v2024 = earlier_year(v2025, rng)
    calm_outliers(v2024)
    v2023 = earlier_year(v2024, random.Random(2023))
    calm_outliers(v2023)
    # 2025 against 2024: X05's Z01 jumps by 60 % (2023 and 2024 agree).
    low = round(float(v2025["X05"]["Z01"]) / 1.6, 1)
    v2024["X05"]["Z01"] = low
    v2023["X05"]["Z01"] = round(low * 0.98, 1)
    # 2024 against 2023: Q02's return on equity rises by 5 points.
    v2023["Q02"]["F04"] = round(float(v2024["Q02"]["F04"]) - 5, 2)
    # 2024: above the plausible range, and an outlier within 市直部门.
    v2024["X08"]["G03"] = 23.5
    v2024["B09"]["F03"] = 35
    # 2025 only: Q05 forgot to report 群众满意度 (blank -> 0 points and a warning).
    v2025["Q05"]["S02"] = None
    return {2025: v2025, 2024: v2024, 2023: v2023}


def write_city_workbook(path: Path, year: int, values: dict[str, dict[str, object]]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "设置"
    settings = [
        ("考核名称", f"{year}年度全市综合绩效考核"),
        ("考核年度", year),
        ("发文机关", "示范市绩效考核委员会办公室"),
        ("文号", f"示绩考办〔{year + 1}〕3号"),
        ("成文日期", datetime(year + 1, 1, 20)),
        ("主送机关", "各县（市、区）人民政府，市直各部门，市属各国有企业"),
        ("等次标准", "优秀:90; 良好:80; 合格:60; 不合格:0"),
        ("优秀比例", "20%"),
        ("比例取整", "向下"),
        ("否决效果", "不得评优"),
        ("加分上限", 3),
        ("扣分上限", 5),
        ("并列处理", "不超额"),
    ]
    ws.append(["项目", "值", "说明"])
    for k, v in settings:
        ws.append([k, v])
    ws["B6"].number_format = "yyyy年m月d日"
    style_header(ws, {"A": 14, "B": 56, "C": 30})

    ws = wb.create_sheet("指标")
    ws.append(INDICATOR_HEADER)
    for ind in CITY_INDICATORS:
        lo, hi = CITY_RANGES.get(ind["编码"], (None, None))
        ws.append([ind.get(h) for h in INDICATOR_HEADER[:-2]] + [lo, hi])
    style_header(ws, {"A": 8, "B": 10, "C": 22, "D": 10, "P": 34, "U": 24})

    units = city_units()
    ws = wb.create_sheet("单位")
    ws.append(["编码", "名称", "类别"])
    for u in units:
        ws.append(list(u))
    style_header(ws, {"A": 8, "B": 26, "C": 12})

    codes = [i["编码"] for i in CITY_INDICATORS]
    ws = wb.create_sheet("数据")
    ws.append(["单位编码", "单位名称", *codes])
    for code, name, _ in units:
        ws.append([code, name, *[values[code].get(c) for c in codes]])
    style_header(ws, {"A": 10, "B": 26})

    plan = CITY_YEARS[year]
    for sheet, header, rows, widths in (
        ("加减分", ["单位编码", "类型", "分值", "事由"], plan["adjustments"], {"A": 10, "D": 40}),
        ("否决", ["单位编码", "事项", "事由"], plan["vetoes"], {"A": 10, "B": 14, "C": 40}),
        ("修正", ["单位编码", "指标编码", "系数", "事由"], plan["corrections"], {"A": 10, "B": 10, "D": 40}),
    ):
        ws = wb.create_sheet(sheet)
        ws.append(header)
        for row in rows:
            ws.append([v if v != "" else None for v in row])
        style_header(ws, widths)

    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


# --- Kunming-style: five dimensions, 共性目标 20 points with veto, 40 units ------------------
KM_INDICATORS = [
    dict(编码="FD01", 维度="奋斗目标", 指标名称="地区生产总值增速", 适用类别="县市区", 分值=15, 计分方法="功效系数",
         优秀值=7.5, 良好值=6.5, 平均值=5.5, 较低值=4.5, 较差值=3.5, 计量单位="%", 合理下限=-5, 合理上限=15),
    dict(编码="FD02", 维度="奋斗目标", 指标名称="一般公共预算收入增速", 适用类别="县市区", 分值=15, 计分方法="完成比例",
         目标值=6, 封顶=1.2, 计量单位="%", 合理下限=-20, 合理上限=30),
    dict(编码="FD03", 维度="奋斗目标", 指标名称="年度奋斗目标完成率", 适用类别="市直部门", 分值=30, 计分方法="完成比例",
         目标值=100, 计量单位="%", 合理下限=0, 合理上限=130),
    dict(编码="FD04", 维度="奋斗目标", 指标名称="营业收入增长率", 适用类别="国有企业", 分值=15, 计分方法="阶梯",
         目标值=8, 步长=10, 浮动上限=5, 计量单位="%", 说明="每高于或低于目标10%计1分，最多±5分"),
    dict(编码="FD05", 维度="奋斗目标", 指标名称="国有资本保值增值率", 适用类别="国有企业", 分值=15, 计分方法="线性",
         下限=95, 目标值=108, 计量单位="%"),
    dict(编码="ZD01", 维度="重点目标", 指标名称="重点项目投资完成率", 分值=15, 计分方法="完成比例", 目标值=100,
         计量单位="%", 合理下限=0, 合理上限=150),
    dict(编码="ZD02", 维度="重点目标", 指标名称="重点改革任务完成情况", 分值=10, 计分方法="区间",
         区间=">=100:1; >=95:0.9; >=90:0.8; >=80:0.6; else:0.3", 计量单位="%"),
    dict(编码="ZN01", 维度="职能目标", 指标名称="职能工作综合评价", 分值=15, 计分方法="定性", 说明="考评组评定 A/B/C/D"),
    dict(编码="SS01", 维度="实事目标", 指标名称="为民办实事完成率", 分值=5, 计分方法="达标", 目标值=100, 计量单位="%"),
    dict(编码="SS02", 维度="实事目标", 指标名称="群众满意度测评", 分值=5, 计分方法="直接", 计量单位="分",
         说明="第三方测评得分（满分5分）"),
    dict(编码="GX01", 维度="共性目标", 指标名称="党风廉政建设", 分值=8, 计分方法="定性"),
    dict(编码="GX02", 维度="共性目标", 指标名称="安全生产和生态环保", 分值=6, 计分方法="扣分", 每项扣分=2, 计量单位="起"),
    dict(编码="GX03", 维度="共性目标", 指标名称="意识形态和信访维稳", 分值=6, 计分方法="排名", 步长=0.3,
         说明="按信访事项办结率在类别内排名", 计量单位="%"),
]  # fmt: skip

KM_COUNTIES = ["东城区", "西城区", "南城区", "北城区", "湖滨区", "高新区", "新港区", "龙泉市", "青峰县", "白云县",
               "石门县", "松溪县", "禄山县", "寻源县"]  # fmt: skip
KM_DEPARTMENTS = ["市委办公室", "市政府办公室", "市发展改革委", "市财政局", "市教育体育局", "市科学技术局",
                  "市工业和信息化局", "市公安局", "市民政局", "市人力资源社会保障局", "市自然资源规划局",
                  "市生态环境局", "市住房城乡建设局", "市交通运输局", "市农业农村局", "市商务局", "市文化和旅游局",
                  "市卫生健康委"]  # fmt: skip
KM_ENTERPRISES = ["市城建投资集团", "市交通投资集团", "市水务产业集团", "市产业投资集团", "市文旅发展集团",
                  "市公交集团", "市农业发展集团", "市金融控股集团"]  # fmt: skip


def _around(rng: random.Random, center: float, spread: float, lo: float, hi: float, nd: int = 1) -> float:
    return round(min(hi, max(lo, rng.gauss(center, spread))), nd)


def kunming_contents():
    rng = random.Random(530100)
    header = [h for h in INDICATOR_HEADER]
    indicators = [[ind.get(h) for h in header] for ind in KM_INDICATORS]
    units = (
        [[f"Y{i + 1:02d}", n, "县市区"] for i, n in enumerate(KM_COUNTIES)]
        + [[f"K{i + 1:02d}", n, "市直部门"] for i, n in enumerate(KM_DEPARTMENTS)]
        + [[f"G{i + 1:02d}", n, "国有企业"] for i, n in enumerate(KM_ENTERPRISES)]
    )
    codes = [i["编码"] for i in KM_INDICATORS]
    letters = ["A", "B", "C", "D"]
    data = []
    for code, name, cat in units:
        s = 0.95 if code in ("Y03", "K11") else rng.random()
        v: dict[str, object] = {
            "ZD01": _around(rng, 82 + 24 * s, 4, 55, 130),
            "ZD02": _around(rng, 84 + 16 * s, 3, 60, 100, 0),
            "ZN01": letters[min(3, max(0, round((1 - s) * 2.6 + rng.uniform(-0.5, 0.5))))],
            "SS01": 100 if rng.random() < 0.55 + 0.4 * s else _around(rng, 93, 3, 80, 99, 0),
            "SS02": _around(rng, 3.6 + 1.3 * s, 0.25, 0, 5, 2),
            "GX01": letters[min(3, max(0, round((1 - s) * 1.8 + rng.uniform(-0.5, 0.5))))],
            "GX02": max(0, round(rng.uniform(0, 2.2) * (1.1 - s))),
            "GX03": _around(rng, 90 + 9 * s, 1.5, 75, 100),
        }
        if cat == "县市区":
            v["FD01"] = _around(rng, 4 + 4 * s, 0.6, 1, 10)
            v["FD02"] = _around(rng, 2 + 6 * s, 1.2, -5, 12)
        elif cat == "市直部门":
            v["FD03"] = _around(rng, 84 + 20 * s, 4, 60, 110, 0)
        else:
            v["FD04"] = _around(rng, 4 + 10 * s, 2, -6, 20)
            v["FD05"] = _around(rng, 98 + 10 * s, 1.5, 92, 112, 2)
        data.append([code, name, *[v.get(c) for c in codes]])
    settings = [
        ("考核名称", "2025年度市级综合考评"),
        ("考核年度", 2025),
        ("发文机关", "示范市综合考评委员会办公室"),
        ("文号", "示综考办〔2026〕2号"),
        ("成文日期", datetime(2026, 2, 6)),
        ("主送机关", "各县（市、区）委和人民政府，市委和市级国家机关各部门，市属各国有企业"),
        ("等次标准", "优秀:90; 良好:80; 一般:60; 较差:0"),
        ("优秀名额", "县市区:前4名; 市直部门:前5名; 国有企业:前2名"),
        ("否决效果", "不合格"),
        ("加分上限", 2),
        ("扣分上限", 10),
        ("排名依据", "共性目标"),
        ("定性折算", "A:1; B:0.85; C:0.7; D:0.5"),
    ]
    sheets = {
        "指标": (header, indicators),
        "单位": (["编码", "名称", "类别"], units),
        "数据": (["单位编码", "单位名称", *codes], data),
        "加减分": (
            ["单位编码", "类型", "分值", "事由"],
            [
                ["Y01", "加分", 1, "获全国综合表彰"],
                ["Y05", "加分", 1.5, "承办国际性会议"],
                ["K04", "加分", 0.5, "创新做法获省推广"],
                ["G02", "扣分", 2, "国有资产监管问题被通报"],
                ["Y09", "扣分", 1, "重点工作督查通报"],
            ],
        ),  # fmt: skip
        "否决": (
            ["单位编码", "事项", "事由"],
            [["Y03", "安全生产", "发生较大生产安全责任事故"], ["K11", "党风廉政", "领导班子成员严重违纪"]],
        ),
        "修正": (["单位编码", "指标编码", "系数", "事由"], [["Y12", "FD02", 1.08, "受特大干旱影响，经批准修正"]]),
    }
    return settings, sheets


# --- Yueyang-style: classified assessment, different indicator sets per category ------------
YY_INDICATORS = [
    # 市直部门
    dict(编码="D01", 维度="经济发展", 指标名称="政策落实率", 适用类别="市直部门", 分值=25, 计分方法="完成比例",
         目标值=100, 计量单位="%", 合理下限=0, 合理上限=110),
    dict(编码="D02", 维度="经济发展", 指标名称="服务重点项目评价", 适用类别="市直部门", 分值=15, 计分方法="区间",
         区间=">=95:1; >=90:0.85; >=80:0.7; else:0.4", 计量单位="分"),
    dict(编码="D03", 维度="公共服务", 指标名称="政务公开", 适用类别="市直部门", 分值=15, 计分方法="定性"),
    dict(编码="D04", 维度="公共服务", 指标名称="信访办结率", 适用类别="市直部门", 分值=15, 计分方法="区间",
         区间=">=98:1; >=95:0.8; >=90:0.6; else:0.2", 计量单位="%", 合理下限=50, 合理上限=100),
    dict(编码="D05", 维度="公共服务", 指标名称="一网通办事项占比", 适用类别="市直部门", 分值=10, 计分方法="线性",
         下限=60, 目标值=100, 计量单位="%"),
    dict(编码="D06", 维度="风险防控", 指标名称="预算执行率", 适用类别="市直部门", 分值=10, 计分方法="完成比例",
         目标值=95, 计量单位="%"),
    dict(编码="D07", 维度="风险防控", 指标名称="审计问题整改率", 适用类别="市直部门", 分值=5, 计分方法="达标",
         目标值=100, 计量单位="%"),
    dict(编码="D08", 维度="可持续性", 指标名称="单位能耗下降目标完成", 适用类别="市直部门", 分值=5, 计分方法="完成比例",
         方向="逆向", 目标值=120, 计量单位="千克标煤/人", 说明="人均能耗越低越好"),
    # 国有企业
    dict(编码="E01", 维度="经济发展", 指标名称="主业聚焦度", 适用类别="国有企业", 分值=20, 计分方法="完成比例",
         目标值=90, 计量单位="%", 说明="主业收入占营业收入比重"),
    dict(编码="E02", 维度="经济发展", 指标名称="净资产收益率", 适用类别="国有企业", 分值=25, 计分方法="功效系数",
         优秀值=9.5, 良好值=6.5, 平均值=3.5, 较低值=1, 较差值=-2, 计量单位="%", 合理下限=-20, 合理上限=25),
    dict(编码="E03", 维度="公共服务", 指标名称="公共服务保障满意度", 适用类别="国有企业", 分值=15, 计分方法="定性"),
    dict(编码="E04", 维度="风险防控", 指标名称="融资成本", 适用类别="国有企业", 分值=10, 计分方法="完成比例",
         方向="逆向", 目标值=4.5, 计量单位="%", 说明="综合融资成本率，越低越好"),
    dict(编码="E05", 维度="风险防控", 指标名称="资产负债率", 适用类别="国有企业", 分值=10, 计分方法="功效系数",
         方向="逆向", 优秀值=50, 良好值=58, 平均值=65, 较低值=72, 较差值=80, 计量单位="%"),
    dict(编码="E06", 维度="可持续性", 指标名称="绿色投资比例", 适用类别="国有企业", 分值=10, 计分方法="线性",
         下限=0, 目标值=20, 计量单位="%"),
    dict(编码="E07", 维度="可持续性", 指标名称="研发投入强度", 适用类别="国有企业", 分值=10, 计分方法="排名",
         计量单位="%", 说明="与类别内最高值相比"),
]  # fmt: skip

YY_DEPARTMENTS = ["市发展和改革委员会", "市教育局", "市民政局", "市财政局", "市人力资源和社会保障局", "市自然资源和规划局",
                  "市住房和城乡建设局", "市交通运输局", "市水利局", "市农业农村局", "市商务局", "市卫生健康委员会",
                  "市市场监督管理局", "市行政审批服务局"]  # fmt: skip
YY_ENTERPRISES = ["市城市建设投资集团", "市交通建设投资集团", "市港务集团", "市水务集团", "市文化旅游投资集团",
                  "市产业发展投资集团", "市现代农业发展集团", "市国有资本投资运营集团"]  # fmt: skip


def yueyang_contents():
    rng = random.Random(430600)
    header = [h for h in INDICATOR_HEADER]
    indicators = [[ind.get(h) for h in header] for ind in YY_INDICATORS]
    units = [[f"BM{i + 1:02d}", n, "市直部门"] for i, n in enumerate(YY_DEPARTMENTS)] + [
        [f"QY{i + 1:02d}", n, "国有企业"] for i, n in enumerate(YY_ENTERPRISES)
    ]
    codes = [i["编码"] for i in YY_INDICATORS]
    grades = ["优", "良", "中", "差"]
    data = []
    for code, name, cat in units:
        s = rng.random()
        g = grades[min(3, max(0, round((1 - s) * 2.4 + rng.uniform(-0.5, 0.5))))]
        if cat == "市直部门":
            v = {
                "D01": _around(rng, 86 + 16 * s, 3, 60, 105),
                "D02": _around(rng, 82 + 16 * s, 3, 60, 100),
                "D03": g,
                "D04": _around(rng, 92 + 7 * s, 1.5, 80, 100),
                "D05": _around(rng, 70 + 30 * s, 5, 40, 100, 0),
                "D06": _around(rng, 88 + 10 * s, 2.5, 70, 100),
                "D07": 100 if rng.random() < 0.5 + 0.45 * s else _around(rng, 92, 3, 80, 99, 0),
                "D08": _around(rng, 150 - 40 * s, 8, 90, 190, 0),
            }
        else:
            v = {
                "E01": _around(rng, 78 + 18 * s, 3, 55, 100),
                "E02": _around(rng, 1 + 9 * s, 1.2, -6, 14, 2),
                "E03": g,
                "E04": _around(rng, 5.6 - 1.6 * s, 0.3, 3, 7.5, 2),
                "E05": _around(rng, 72 - 18 * s, 3, 45, 85),
                "E06": _around(rng, 4 + 16 * s, 2, 0, 30),
                "E07": _around(rng, 0.8 + 2.4 * s, 0.3, 0.1, 4, 2),
            }
        data.append([code, name, cat, *[v.get(c) for c in codes]])
    # The 市教育局 has no capital projects to serve: D02 does not apply.
    data[1][3 + codes.index("D02")] = "不适用"
    settings = [
        ("考核名称", "2025年度市直单位和市属国有企业分类绩效考核"),
        ("考核年度", 2025),
        ("发文机关", "示范市绩效评估委员会办公室"),
        ("文号", "示绩评办〔2026〕5号"),
        ("成文日期", datetime(2026, 3, 2)),
        ("主送机关", "市直各单位，市属各国有企业"),
        ("等次标准", "优秀:90; 良好:80; 合格:60; 不合格:0"),
        ("优秀比例", "市直部门:20%; 国有企业:25%"),
        ("比例取整", "四舍五入"),
        ("否决效果", "不得评优"),
        ("加分上限", 3),
        ("扣分上限", 5),
        ("并列处理", "不超额"),
    ]
    sheets = {
        "指标": (header, indicators),
        "单位": (["编码", "名称", "类别"], units),
        "数据": (["单位编码", "单位名称", "类别", *codes], data),
        "加减分": (
            ["单位编码", "类型", "分值", "事由"],
            [
                ["BM03", "加分", 1, "民生工作获国务院督查激励"],
                ["QY02", "加分", 2, "承担市级重大战略任务"],
                ["BM09", "扣分", 1, "防汛工作被通报批评"],
            ],
        ),  # fmt: skip
        "否决": (["单位编码", "事项", "事由"], [["QY05", "安全生产", "发生一般生产安全责任事故（经认定）"]]),
        "修正": (
            ["单位编码", "指标编码", "系数", "事由"],
            [
                ["QY01", "", 1.03, "经营难度系数：承担城市更新公益性任务"],
                ["QY06", "", 1.02, "经营难度系数：初创期产业基金"],
            ],
        ),
    }
    return settings, sheets


# --- 事前绩效评估: proposed projects, evaluated when their amount reaches the threshold -----
EXANTE_INDICATORS = [
    dict(编码="L01", 维度="立项必要性", 指标名称="政策相关性", 分值=10, 计分方法="直接", 说明="专家评分"),
    dict(编码="L02", 维度="立项必要性", 指标名称="需求迫切性", 分值=10, 计分方法="定性"),
    dict(编码="T01", 维度="投入经济性", 指标名称="成本测算合理性", 分值=10, 计分方法="直接", 说明="专家评分"),
    dict(编码="T02", 维度="投入经济性", 指标名称="财政资金占比", 分值=5, 计分方法="区间",
         区间="<=50:1; <=70:0.8; <=90:0.6; else:0.4", 计量单位="%", 说明="财政资金占总投资比例，越低越好"),
    dict(编码="M01", 维度="目标合理性", 指标名称="绩效目标明确性", 分值=10, 计分方法="定性"),
    dict(编码="M02", 维度="目标合理性", 指标名称="绩效指标量化率", 分值=10, 计分方法="完成比例", 目标值=100,
         计量单位="%"),
    dict(编码="F01", 维度="方案可行性", 指标名称="实施方案完整性", 分值=10, 计分方法="直接", 说明="专家评分"),
    dict(编码="F02", 维度="方案可行性", 指标名称="前期准备完成率", 分值=10, 计分方法="线性", 下限=40, 目标值=100,
         计量单位="%"),
    dict(编码="G01", 维度="实施公正性", 指标名称="程序合规性", 分值=10, 计分方法="扣分", 每项扣分=2.5,
         计量单位="项", 说明="发现的程序问题项数"),
    dict(编码="C01", 维度="绩效持续性", 指标名称="后续资金保障", 分值=10, 计分方法="定性"),
    dict(编码="C02", 维度="绩效持续性", 指标名称="长效运维机制", 分值=5, 计分方法="达标", 目标值=1,
         说明="已建立填 1，未建立填 0"),
]  # fmt: skip

EXANTE_PROJECTS = [
    # code, name, type, amount in yuan, department
    ("P01", "城东片区雨污分流改造工程", "基建项目", 18_600_000, "市住房和城乡建设局"),
    ("P02", "老旧小区加装电梯工程", "基建项目", 7_200_000, "市住房和城乡建设局"),
    ("P03", "乡村公路安全生命防护工程", "基建项目", 4_800_000, "市交通运输局"),
    ("P04", "中心城区停车场建设", "基建项目", 5_000_000, "市城市管理局"),
    ("P05", "城市绿道二期", "基建项目", 4_999_999, "市园林局"),
    ("P06", "第二水厂扩建", "基建项目", 32_000_000, "市水务集团"),
    ("P07", "中小学校舍抗震加固", "基建项目", 9_600_000, "市教育局"),
    ("P08", "农贸市场提质改造", "基建项目", 2_600_000, "市商务局"),
    ("P09", "应急避难场所建设", "基建项目", 6_300_000, "市应急管理局"),
    ("P10", "河道综合整治工程", "基建项目", 12_400_000, "市水利局"),
    ("P11", "社区卫生服务中心新建", "基建项目", 8_100_000, "市卫生健康委员会"),
    ("P12", "公共文化馆改扩建", "基建项目", 3_900_000, "市文化旅游局"),
    ("P13", "智慧城市大数据平台", "其他项目", 6_800_000, "市数据资源局"),
    ("P14", "基层医疗人才培训", "其他项目", 1_200_000, "市卫生健康委员会"),
    ("P15", "中小企业融资担保补贴", "其他项目", 10_000_000, "市财政局"),
    ("P16", "高标准农田建设补助", "其他项目", 5_500_000, "市农业农村局"),
    ("P17", "职业技能提升行动", "其他项目", 2_999_000, "市人力资源和社会保障局"),
    ("P18", "文旅消费券发放", "其他项目", 3_000_000, "市文化旅游局"),
    ("P19", "城乡居民养老服务补贴", "其他项目", 4_200_000, "市民政局"),
    ("P20", "政务服务一网通办升级", "其他项目", 3_600_000, "市行政审批服务局"),
    ("P21", "科技创新券", "其他项目", 2_000_000, "市科学技术局"),
    ("P22", "生态环境监测网络运维", "其他项目", 3_300_000, "市生态环境局"),
    ("P23", "学生营养改善计划", "其他项目", 7_700_000, "市教育局"),
    ("P24", "非物质文化遗产保护", "其他项目", 800_000, "市文化旅游局"),
    ("P25", "公共法律服务体系建设", "其他项目", 1_500_000, "市司法局"),
    ("P26", "森林防火能力提升", "其他项目", 4_600_000, "市林业局"),
    ("P27", "食品安全抽检", "其他项目", 2_400_000, "市市场监督管理局"),
    ("P28", "残疾人康复服务补贴", "其他项目", 3_150_000, "市残疾人联合会"),
    ("P29", "外贸企业出口信用保险补贴", "其他项目", 5_000_000, "市商务局"),
    ("P30", "社区养老服务驿站运营", "其他项目", 2_750_000, "市民政局"),
]


def exante_contents():
    rng = random.Random(2026)
    header = [h for h in INDICATOR_HEADER]
    indicators = [[ind.get(h) for h in header] for ind in EXANTE_INDICATORS]
    units = [[code, name, kind, amount, dept] for code, name, kind, amount, dept in EXANTE_PROJECTS]
    codes = [i["编码"] for i in EXANTE_INDICATORS]
    grades = ["优", "良", "中", "差"]
    data = []
    for code, name, kind, amount, _ in EXANTE_PROJECTS:
        limit = 5_000_000 if kind == "基建项目" else 3_000_000
        if amount < limit:
            data.append([code, name])  # not evaluated: nothing to fill in
            continue
        s = rng.random()

        def grade(s: float = s) -> str:
            return grades[min(3, max(0, round((1 - s) * 2.5 + rng.uniform(-0.6, 0.6))))]

        v = {
            "L01": _around(rng, 6 + 4 * s, 0.6, 3, 10),
            "L02": grade(),
            "T01": _around(rng, 5.5 + 4 * s, 0.7, 2, 10),
            "T02": _around(rng, 95 - 45 * s, 8, 30, 100, 0),
            "M01": grade(),
            "M02": _around(rng, 60 + 40 * s, 6, 30, 100, 0),
            "F01": _around(rng, 5.5 + 4.5 * s, 0.6, 2, 10),
            "F02": _around(rng, 45 + 55 * s, 8, 20, 100, 0),
            "G01": max(0, round(rng.uniform(0, 3) * (1 - s))),
            "C01": grade(),
            "C02": 1 if rng.random() < 0.3 + 0.7 * s else 0,
        }
        data.append([code, name, *[v[c] for c in codes]])
    settings = [
        ("考核名称", "2026年度新增重大政策和项目事前绩效评估"),
        ("考核年度", 2026),
        ("评估类型", "事前绩效评估"),
        ("评估门槛", "基建项目:500万; 其他:300万"),
        ("发文机关", "示范市财政局"),
        ("文号", "示财绩〔2026〕8号"),
        ("成文日期", datetime(2026, 4, 15)),
        ("主送机关", "市直各预算部门"),
        ("等次标准", "予以支持:80; 调整完善后予以支持:60; 不予支持:0"),
        ("定性折算", "优:1; 良:0.8; 中:0.6; 差:0.3"),
    ]
    sheets = {
        "指标": (header, indicators),
        "单位": (["编码", "名称", "类别", "项目金额（元）", "主管部门"], units),
        "数据": (["单位编码", "单位名称", *codes], data),
    }
    return settings, sheets


def write_styled(path: Path, settings, sheets, categories) -> None:
    from perf_excel.xlsx.blank import fill_workbook

    wb = fill_workbook(settings, sheets, categories=categories)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    years = city_years()
    for year in (2023, 2024, 2025):
        path = OUT / f"demo_city_{year}.xlsx"
        write_city_workbook(path, year, years[year])
        print(f"wrote {path}")
    for name, (settings, sheets), categories in (
        ("demo_kunming_2025.xlsx", kunming_contents(), ["县市区", "市直部门", "国有企业"]),
        ("demo_yueyang_2025.xlsx", yueyang_contents(), ["市直部门", "国有企业"]),
        ("demo_exante_2026.xlsx", exante_contents(), ["基建项目", "其他项目"]),
    ):
        write_styled(OUT / name, settings, sheets, categories)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
