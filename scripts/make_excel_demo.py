"""Build workbooks/perf_excel_demo.xlsm, the Excel front end, and its companion files.

    .venv/bin/python scripts/make_excel_demo.py

1. ``xlwings quickstart perf_excel_demo --standalone`` (needs no Excel: it copies xlwings'
   template) gives a macro workbook whose VBA project already holds the xlwings module
   (RunPython, ImportPythonUDFs) and Module1.SampleCall, which runs
   ``import perf_excel_demo; perf_excel_demo.main()`` — the quickstart layout.
   Standalone, not the add-in variant: a locked-down PC may not allow add-ins in XLSTART,
   and the workbook then works without ``xlwings addin install``.
2. openpyxl (``keep_vba=True``) adds the contract sheets of the demo city workbook, a
   说明 sheet, a 函数示例 sheet with every PERF_* function, and activates the
   ``xlwings.conf`` sheet with ``UDF Modules = perf_excel.udfs``. The VBA project
   (xl/vbaProject.bin) is carried over byte for byte.
3. Beside it: perf_excel_demo.py (what SampleCall runs), perf_excel_udfs.bas (the VBA
   wrappers that "Import Functions" would create, for VBE File > Import File where the
   VBA object model is locked) and perf_excel_macros.bas (Score / Report / ScoreAndReport
   for buttons).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.formula import ArrayFormula

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "workbooks"
NAME = "perf_excel_demo"
SOURCE = OUT / "demo_city_2025.xlsx"
CONTRACT = ("设置", "指标", "单位", "数据", "加减分", "否决", "修正")

HEADER_FONT = Font(name="黑体", bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(name="黑体", bold=True, size=14)

PYTHON_FILE = '''"""What the buttons of perf_excel_demo.xlsm run (xlwings quickstart layout).

SampleCall (Alt+F8) runs main(); the macros of perf_excel_macros.bas run the others.
"""

from perf_excel import macros


def main() -> None:
    """计算结果并生成通报."""
    macros.score_and_report()


def score() -> None:
    """计算结果: 结果 and 计分明细 sheets."""
    macros.score()


def report() -> None:
    """生成通报 next to the workbook."""
    macros.report()


if __name__ == "__main__":
    import xlwings as xw

    xw.Book("perf_excel_demo.xlsm").set_mock_caller()
    main()
'''

MACROS_BAS = """Attribute VB_Name = "perf_excel_macros"
' perf_excel one-click macros: assign them to buttons (Developer > Insert > Button).
' Button captions may be Chinese; macro names stay ASCII (VBA source is stored in the ANSI code page).
Sub ScoreAndReport()
    RunPython "import perf_excel.macros; perf_excel.macros.score_and_report()"
End Sub

Sub Score()
    RunPython "import perf_excel.macros; perf_excel.macros.score()"
End Sub

Sub Report()
    RunPython "import perf_excel.macros; perf_excel.macros.report()"
End Sub
"""

INSTRUCTIONS = [
    "绩效考核工作簿（Excel 前端示例）",
    "",
    "本工作簿由 xlwings quickstart（独立版 standalone）生成，已内置 xlwings 的 VBA 模块，不必安装 xlwings 加载项。",
    "需要：Windows 上的 Excel、Python 3.10 及以上，并已执行 pip install perf-excel（xlwings 0.37.8 随之安装）。",
    "",
    "一、一键计算并生成通报",
    "    按 Alt+F8，选择 SampleCall，点“执行”：写入“结果”“计分明细”工作表，并在本工作簿所在文件夹生成通报（.docx）。",
    "    状态栏显示通报的路径；输入有误时列在“问题”工作表，并弹出提示，不生成结果。",
    "二、分别计算 / 生成通报（可做成按钮）",
    "    在 VBA 编辑器（Alt+F11）中“文件 → 导入文件”，选择同一文件夹中的 perf_excel_macros.bas；",
    "    然后在“开发工具 → 插入 → 按钮”中，把按钮“计算结果”指定给宏 Score，“生成通报”指定给 Report。",
    "三、使用 PERF_* 函数（见“函数示例”工作表）",
    "    方法 1：按 Alt+F8 运行 ImportPythonUDFs（需勾选“信任对 VBA 工程对象模型的访问”）。",
    "    方法 2（电脑受限、不能改信任设置时）：VBA 编辑器中“文件 → 导入文件”，选择 perf_excel_udfs.bas。",
    "    升级 perf_excel 或 xlwings 后，若单元格显示“Object required”或 #NAME?，请重新导入函数。",
    "",
    "xlwings.conf 工作表中 UDF Modules 已设为 perf_excel.udfs；Interpreter_Win 可改为 Python 的完整路径。",
]

# (description, formula, spill range or None, expected value as worked out by hand)
EXAMPLES = [
    ("完成比例：目标 500，实际 487，分值 10", "=PERF_RATIO(487,500,10)", None, "9.74"),
    ("完成比例（逆向）：目标 ≤90，实际 95，分值 10", '=PERF_RATIO(95,90,10,"逆向")', None, "9.4737"),
    ("功效系数：分值 20，实际 8%", "=PERF_EFFICACY(8,{20,9.5,1.7,-5,-10},20)", None, "15.2308"),
    ("区间：实际 92", '=PERF_BAND(92,">=95:1; >=90:0.8; >=80:0.6; else:0",10)', None, "8"),
    ("线性：下限 60，目标 100，实际 80，分值 20", "=PERF_LINEAR(80,60,100,20)", None, "10"),
    ("扣分：3 项，每项 2 分，分值 10", "=PERF_DEDUCT(3,2,10)", None, "4"),
    ("定性：良，分值 10", '=PERF_GRADE_SCORE("良",10)', None, "8"),
]

RANK_TOTALS = [92.5, 88, 92.5, 75, 88, 60]
RANK_EXPECTED = [1, 3, 1, 5, 3, 6]


def quickstart(tmp: Path) -> Path:
    """Run ``xlwings quickstart NAME --standalone`` in ``tmp``; return the .xlsm."""
    exe = Path(sys.executable).with_name("xlwings")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "xlwings.cli"]
    subprocess.run([*cmd, "quickstart", NAME, "--standalone"], cwd=tmp, check=True)
    return tmp / NAME / f"{NAME}.xlsm"


def header(ws, row: int = 1) -> None:
    for cell in ws[row]:
        if cell.value is not None:
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center")


def copy_contract(wb) -> dict[str, tuple[int, int]]:
    """The contract sheets of the demo city workbook, values only; returns their sizes."""
    src = load_workbook(SOURCE)
    sizes = {}
    for name in CONTRACT:
        s = src[name]
        ws = wb.create_sheet(name)
        for row in s.iter_rows(values_only=True):
            ws.append(list(row))
        for letter, dim in s.column_dimensions.items():
            ws.column_dimensions[letter].width = dim.width
        header(ws)
        ws.freeze_panes = "A2"
        sizes[name] = (s.max_row, s.max_column)
    return sizes


def ref(sheet: str, rows: int, cols: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"'{sheet}'!$A$1:${get_column_letter(cols)}${rows}"


def examples(wb, sizes: dict[str, tuple[int, int]]) -> None:
    ws = wb.create_sheet("函数示例")
    ws.append(["PERF_* 函数示例（分类“绩效考核”；导入函数后自动计算）"])
    ws["A1"].font = TITLE_FONT
    ws.append(["说明", "公式", "结果", "手算结果"])
    header(ws, 2)
    for desc, formula, _, expected in EXAMPLES:
        ws.append([desc, formula[1:], None, expected])
        ws.cell(ws.max_row, 3).value = formula
    start = ws.max_row + 2
    ws.cell(start, 1, "排名与等次：一次调用处理一整列（并列排名 1224，优秀名额 20% 向下取整）").font = HEADER_FONT
    ws.append(["总分", "类别排名", "等次", "手算排名"])
    header(ws, start + 1)
    first = start + 2
    last = first + len(RANK_TOTALS) - 1
    for i, (total, rank) in enumerate(zip(RANK_TOTALS, RANK_EXPECTED)):
        ws.cell(first + i, 1, total)
        ws.cell(first + i, 4, rank)
    ws[f"B{first}"] = ArrayFormula(f"B{first}:B{last}", f"=PERF_RANK(A{first}:A{last})")
    ws[f"C{first}"] = ArrayFormula(f"C{first}:C{last}", f'=PERF_GRADE(A{first}:A{last},,,,"20%")')
    top = last + 2
    ws.cell(
        top, 1, "层次分析法：判断矩阵 {1,2,4;0.5,1,2;0.25,0.5,1}，手算权重 4/7、2/7、1/7，λmax 3，CR 0"
    ).font = HEADER_FONT
    ws[f"A{top + 1}"] = ArrayFormula(f"A{top + 1}:B{top + 9}", "=PERF_AHP({1,2,4;0.5,1,2;0.25,0.5,1})")
    for col, width in zip("ABCD", (44, 52, 14, 12)):
        ws.column_dimensions[col].width = width

    res = wb.create_sheet("函数结果")
    res.append(["PERF_ASSESS：整张结果表（与“计算结果”宏写入的“结果”工作表相同）"])
    res["A1"].font = TITLE_FONT
    n_units = sizes["单位"][0] - 1
    n_dims = 5  # 奋斗目标, 重点目标, 职能目标, 实事目标, 共性目标
    width = 3 + n_dims + 6
    from openpyxl.utils import get_column_letter

    args = ",".join(ref(name, *sizes[name]) for name in ("指标", "单位", "数据", "加减分", "否决", "修正", "设置"))
    area = f"A3:{get_column_letter(width)}{3 + n_units}"
    res["A3"] = ArrayFormula(area, f"=PERF_ASSESS({args})")
    res.cell(2, 1, "Excel 365 中直接输入 =PERF_ASSESS(...) 即自动溢出；此处为兼容旧版 Excel 使用数组公式。")


def configure(wb) -> None:
    wb["Sheet1"].title = "说明"
    ws = wb["说明"]
    for i, line in enumerate(INSTRUCTIONS, start=1):
        ws.cell(i, 1, line)
    ws["A1"].font = TITLE_FONT
    ws.column_dimensions["A"].width = 120
    conf = wb["_xlwings.conf"]
    conf.title = "xlwings.conf"  # active: the settings below override the add-in's
    for row in conf.iter_rows(min_col=1, max_col=2):
        if row[0].value == "UDF Modules":
            row[1].value = "perf_excel.udfs"


def build(out_dir: Path = OUT) -> Path:
    sys.path.insert(0, str(ROOT))
    from support.xlstandin import udf_vba_module

    with tempfile.TemporaryDirectory() as tmp:
        template = quickstart(Path(tmp))
        wb = load_workbook(template, keep_vba=True)
        configure(wb)
        sizes = copy_contract(wb)
        examples(wb, sizes)
        wb.move_sheet("xlwings.conf", offset=len(wb.sheetnames))
        target = out_dir / f"{NAME}.xlsm"
        partial = out_dir / f".{NAME}.xlsm.tmp"
        wb.save(partial)
        os.replace(partial, target)
    (out_dir / f"{NAME}.py").write_text(PYTHON_FILE, encoding="utf-8")
    crlf = "\r\n"
    (out_dir / "perf_excel_udfs.bas").write_bytes(
        udf_vba_module(workbook_name=f"{NAME}.xlsm").replace("\n", crlf).encode("ascii")
    )
    (out_dir / "perf_excel_macros.bas").write_bytes(MACROS_BAS.replace("\n", crlf).encode("ascii"))
    return target


if __name__ == "__main__":
    print(f"已生成：{build()}")
