"""Build the demo workbooks in workbooks/ (synthetic but plausible data, fixed seed).

    python scripts/make_demo_workbooks.py

Run it again after changing the contract; the files it writes are committed.
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
]  # fmt: skip

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


def write_city_workbook(path: Path, year: int, seed: int) -> None:
    rng = random.Random(seed)
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
        ws.append([ind.get(h) for h in INDICATOR_HEADER])
    style_header(ws, {"A": 8, "B": 10, "C": 22, "D": 10, "P": 34, "U": 24})

    units = (
        [(f"X{i + 1:02d}", n, "县市区") for i, n in enumerate(COUNTIES)]
        + [(f"B{i + 1:02d}", n, "市直部门") for i, n in enumerate(DEPARTMENTS)]
        + [(f"Q{i + 1:02d}", n, "国有企业") for i, n in enumerate(ENTERPRISES)]
    )
    ws = wb.create_sheet("单位")
    ws.append(["编码", "名称", "类别"])
    for u in units:
        ws.append(list(u))
    style_header(ws, {"A": 8, "B": 26, "C": 12})

    codes = [i["编码"] for i in CITY_INDICATORS]
    ws = wb.create_sheet("数据")
    ws.append(["单位编码", "单位名称", *codes])
    for code, name, cat in units:
        strength = rng.random()
        if code == "X03":
            strength = 0.97  # a strong county whose veto keeps it from 优秀
        values = city_values(rng, cat, strength)
        ws.append([code, name, *[values.get(c) for c in codes]])
    # Planted situations the bulletin must explain:
    # B04 (市科技局) has no projects: 重点项目投资完成率 does not apply -> rescaled.
    ws.cell(row=2 + 10 + 3, column=2 + codes.index("Z01") + 1, value="不适用")
    # Q05 forgot to report 群众满意度: blank -> 0 points and a warning.
    ws.cell(row=2 + 22 + 4, column=2 + codes.index("S02") + 1).value = None
    style_header(ws, {"A": 10, "B": 26})

    ws = wb.create_sheet("加减分")
    ws.append(["单位编码", "类型", "分值", "事由"])
    ws.append(["X01", "加分", 2, "获评国家级营商环境创新试点"])
    ws.append(["X01", "加分", 2, "承办全省现场推进会"])  # 4 claimed, capped at 3
    ws.append(["B02", "加分", 1, "预算绩效管理工作获省通报表扬"])
    ws.append(["Q03", "扣分", 1.5, "审计发现问题整改不到位"])
    style_header(ws, {"A": 10, "D": 40})

    ws = wb.create_sheet("否决")
    ws.append(["单位编码", "事项", "事由"])
    ws.append(["X03", "安全生产", "发生较大生产安全责任事故"])
    style_header(ws, {"A": 10, "B": 14, "C": 40})

    ws = wb.create_sheet("修正")
    ws.append(["单位编码", "指标编码", "系数", "事由"])
    ws.append(["X07", "F02", 1.1, "遭受特大洪涝灾害，经批准动态修正"])
    style_header(ws, {"A": 10, "B": 10, "D": 40})

    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def main() -> int:
    write_city_workbook(OUT / "demo_city_2025.xlsx", 2025, seed=2025)
    print(f"wrote {OUT / 'demo_city_2025.xlsx'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
