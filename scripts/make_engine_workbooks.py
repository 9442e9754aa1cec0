"""Build the two engine test workbooks in tests/data/ (expected totals are hand-computed in
tests/test_engine_workbooks.py, not by running the code).

    python scripts/make_engine_workbooks.py

engine_a.xlsx: all ten methods, two categories with their own indicators, 不适用 with
rescaling, a blank value, capped bonus and penalty, indicator and total corrections, a
veto in 不合格 mode, a 1-place quota.
engine_b.xlsx: budget-project style (优/良/中/差), reverse indicators, proportional rank,
a custom 定性 table, a veto in 不得评优 mode, text numbers a clerk types.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data"

HEADER = [
    "编码", "维度", "指标名称", "适用类别", "分值", "计分方法", "方向", "目标值", "下限", "封顶",
    "优秀值", "良好值", "平均值", "较低值", "较差值", "区间", "每项扣分", "步长", "浮动上限",
]  # fmt: skip


def sheet(wb: Workbook, title: str, header: list[str], rows: list[list[object]]) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for r in rows:
        ws.append(r)


def indicator(**kw) -> list[object]:
    return [kw.get(h) for h in HEADER]


def write(path: Path, settings, indicators, units, data_header, data, adjustments=(), vetoes=(), corrections=()):
    wb = Workbook()
    wb.remove(wb.active)
    sheet(wb, "设置", ["项目", "值"], [list(s) for s in settings])
    sheet(wb, "指标", HEADER, [indicator(**i) for i in indicators])
    sheet(wb, "单位", ["编码", "名称", "类别"], [list(u) for u in units])
    sheet(wb, "数据", ["单位编码", *data_header], [list(r) for r in data])
    sheet(wb, "加减分", ["单位编码", "类型", "分值", "事由"], [list(a) for a in adjustments])
    sheet(wb, "否决", ["单位编码", "事项", "事由"], [list(v) for v in vetoes])
    sheet(wb, "修正", ["单位编码", "指标编码", "系数", "事由"], [list(c) for c in corrections])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def engine_a(path: Path) -> None:
    indicators = [
        dict(编码="C1", 维度="经济", 指标名称="收入完成", 分值=10, 计分方法="完成比例", 目标值=200),
        dict(编码="C2", 维度="经济", 指标名称="效益水平", 分值=20, 计分方法="功效系数",
             优秀值=20, 良好值=15, 平均值=10, 较低值=5, 较差值=0),
        dict(编码="C3", 维度="治理", 指标名称="任务完成率", 分值=10, 计分方法="区间",
             区间=">=95:1; >=90:0.8; >=80:0.6; else:0.2"),
        dict(编码="C4", 维度="治理", 指标名称="推进率", 分值=10, 计分方法="线性", 下限=50, 目标值=100),
        dict(编码="C5", 维度="治理", 指标名称="评比成绩", 分值=10, 计分方法="排名", 步长=2),
        dict(编码="C6", 维度="民生", 指标名称="问题数", 分值=10, 计分方法="扣分", 每项扣分=1.5),
        dict(编码="C7", 维度="民生", 指标名称="综合评价", 分值=10, 计分方法="定性"),
        dict(编码="C8", 维度="民生", 指标名称="是否完成", 分值=10, 计分方法="达标", 目标值=1),
        dict(编码="D1", 维度="特色", 指标名称="第三方评估", 适用类别="政府", 分值=10, 计分方法="直接"),
        dict(编码="D2", 维度="特色", 指标名称="利润总额", 适用类别="企业", 分值=10, 计分方法="阶梯",
             目标值=100, 步长=2, 浮动上限=3),
    ]  # fmt: skip
    units = [("G1", "甲县", "政府"), ("G2", "乙县", "政府"), ("G3", "丙县", "政府"),
             ("E1", "一公司", "企业"), ("E2", "二公司", "企业"), ("E3", "三公司", "企业")]  # fmt: skip
    header = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "D1", "D2"]
    data = [
        ["G1", 190, 17, 96, 90, 88, 1, "优", 1, 9, None],
        ["G2", 220, 12, "不适用", 100, 92, 0, "良", 0, 8.5, None],
        ["G3", 100, -1, 85, 40, 88, 4, "差", 1, None, None],
        ["E1", 210, 20, 90, 75, 70, 2, "B", 1, None, 105],
        ["E2", 150, 5, 100, 100, 75, 0, "A", 1, None, 90],
        ["E3", 200, 0, 79, 60, 75, 10, "中", 0, None, 101],
    ]
    settings = [
        ("考核名称", "引擎测试甲"),
        ("等次标准", "优秀:90; 良好:80; 合格:60; 不合格:0"),
        ("优秀比例", "34%"),
        ("比例取整", "向下"),
        ("否决效果", "不合格"),
        ("加分上限", 2),
        ("扣分上限", 3),
    ]
    adjustments = [("G1", "加分", 1.5, "甲"), ("G1", "加分", 1, "乙"), ("G2", "扣分", 4, "丙")]
    vetoes = [("E2", "安全生产", "较大事故")]
    corrections = [("G3", None, 1.2, "灾害"), ("G2", "C2", 1.1, "政策调整")]
    write(path, settings, indicators, units, header, data, adjustments, vetoes, corrections)


def engine_b(path: Path) -> None:
    indicators = [
        dict(编码="P1", 维度="产出", 指标名称="预算执行率", 分值=20, 计分方法="完成比例", 目标值=100),
        dict(编码="P2", 维度="产出", 指标名称="单位成本", 分值=20, 计分方法="完成比例", 方向="逆向", 目标值=50),
        dict(编码="P3", 维度="效益", 指标名称="投诉件数", 分值=10, 计分方法="功效系数", 方向="逆向",
             优秀值=2, 良好值=4, 平均值=6, 较低值=8, 较差值=10),
        dict(编码="P4", 维度="效益", 指标名称="满意度", 分值=20, 计分方法="区间",
             区间="≥90：1；≥80：75%；≥70：0.5；其他：0"),
        dict(编码="P5", 维度="效益", 指标名称="超支率", 分值=10, 计分方法="线性", 方向="逆向", 下限=30, 目标值=10),
        dict(编码="P6", 维度="满意度", 指标名称="受益人数", 分值=10, 计分方法="排名"),
        dict(编码="P7", 维度="满意度", 指标名称="专家评价", 分值=10, 计分方法="定性", 区间="A:1; B:0.85; C:0.7; D:0.5"),
    ]  # fmt: skip
    units = [
        ("P01", "一号项目", "项目"),
        ("P02", "二号项目", "项目"),
        ("P03", "三号项目", "项目"),
        ("P04", "四号项目", "项目"),
    ]
    header = ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    data = [
        ["P01", "95", 40, 3, "85", 20, "80", "B"],
        ["P02", "不适用", 60, 12, 95, 5, 100, "A"],
        ["P03", 100, " 50 ", 2, 69, 35, 50, "D"],
        ["P04", "１１０", 0, 10, 70, 10, None, "C"],
    ]
    settings = [
        ("考核名称", "引擎测试乙"),
        ("等次标准", "优:90; 良:80; 中:60; 差:0"),
        ("否决效果", "不得评优"),
    ]
    adjustments = [("P01", "加分", 3, "试点"), ("P01", "加分", 3, "表彰")]
    vetoes = [("P01", "资金安全", "挪用资金")]
    corrections = [("P03", "", 1.1, "政策性减收")]
    write(path, settings, indicators, units, header, data, adjustments, vetoes, corrections)


def main() -> int:
    engine_a(OUT / "engine_a.xlsx")
    engine_b(OUT / "engine_b.xlsx")
    print(f"wrote {OUT / 'engine_a.xlsx'} and {OUT / 'engine_b.xlsx'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
