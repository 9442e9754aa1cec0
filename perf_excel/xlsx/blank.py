"""The blank assessment workbook (``perf-excel new``) and the styling every input workbook shares.

A clerk fills this workbook in Excel: a 说明 sheet explains how (with the method
catalogue), every contract sheet has a styled header with a note on each column,
frozen panes, column widths, number formats and drop-down lists (data validation)
for 计分方法, 方向, 类别, 类型, 否决效果, 比例取整, 并列处理 and 阶梯方式. The
categories offered in drop-downs live in the 选项 sheet, where the clerk may add more.

:func:`fill_workbook` builds a styled workbook from rows (the demo scripts and the
``--example`` option use it); :func:`save_new` writes it atomically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from perf_excel.core.build import QUOTA_TIES, ROUNDING, VETO_MODES
from perf_excel.core.errors import OutputError
from perf_excel.core.methods import METHODS, WORKBOOK_NAMES
from perf_excel.core.tables import col_letter

__all__ = [
    "CATALOGUE",
    "SETTINGS_ROWS",
    "SHEET_COLUMNS",
    "example_contents",
    "fill_workbook",
    "new_workbook",
    "save_new",
]

HEADER_FONT = Font(name="黑体", bold=True, size=11)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(name="黑体", bold=True, size=16)
SECTION_FONT = Font(name="黑体", bold=True, size=12)
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
#: Rows prepared with drop-downs and formats below each header.
PREPARED_ROWS = 1000
OPTIONS_SHEET = "选项"
GUIDE_SHEET = "说明"
DEFAULT_CATEGORIES = ("县市区", "市直部门", "国有企业")


@dataclass(frozen=True)
class Column:
    """One column of a contract sheet as the blank workbook lays it out."""

    name: str
    width: float = 12
    number_format: str = "General"
    choices: str = ""  # key of a drop-down list in _LISTS, empty for none
    note: str = ""


_TEXT = "@"  # codes stay text: 001 must not become 1

SHEET_COLUMNS: Mapping[str, tuple[Column, ...]] = {
    "设置": (
        Column("项目", 14, _TEXT, note="设置项名称，勿改"),
        Column("值", 46, note="按右侧说明填写"),
        Column("说明", 60),
    ),
    "指标": (
        Column("编码", 8, _TEXT, note="指标编码，唯一，如 F01；数据表的列名用它"),
        Column("维度", 11, note="如 奋斗目标、共性目标；结果表按维度汇总"),
        Column("指标名称", 24),
        Column("适用类别", 12, choices="类别_any", note="留空 = 适用于全部类别；多个类别用顿号分隔"),
        Column("分值", 7, "0.##", note="该指标满分；每个类别适用指标的分值合计应等于满分（默认 100）"),
        Column("计分方法", 10, choices="计分方法", note="从下拉列表选择；各方法需填写的参数见“说明”表"),
        Column("方向", 7, choices="方向", note="正向：越大越好；逆向：越小越好。留空 = 正向"),
        Column("目标值", 9, note="完成比例、线性、达标、阶梯 需要"),
        Column("下限", 8, note="线性：下限得 0 分"),
        Column("封顶", 7, note="完成比例：最多得 分值×封顶，默认 1"),
        Column("优秀值", 8, note="功效系数的五档标准值"),
        Column("良好值", 8),
        Column("平均值", 8),
        Column("较低值", 8),
        Column("较差值", 8),
        Column(
            "区间", 30, note="区间计分，如 >=95:1; >=90:0.8; >=80:0.6; else:0\n定性计分可在此填折算表，如 优:1; 良:0.8"
        ),
        Column("每项扣分", 9, note="扣分：每发生一项（次）扣的分数"),
        Column("步长", 7, note="排名：每后一名减的分数；阶梯：每多少个百分点计 1 分"),
        Column("浮动上限", 9, note="阶梯：最多加减的分数，如 6"),
        Column("阶梯方式", 9, choices="阶梯方式", note="整档（默认）或 线性"),
        Column("公式", 22, note="派生指标：用其他数据列计算，如 就业人数/财政投入*10000"),
        Column("计量单位", 9, note="如 %、万元、起；填 % 时数据中的 “95%” 按 95 读取"),
        Column("合理下限", 9, note="数据异动预警：低于此值提示核实"),
        Column("合理上限", 9, note="数据异动预警：高于此值提示核实"),
        Column("说明", 30),
    ),
    "单位": (
        Column("编码", 10, _TEXT, note="单位编码，唯一"),
        Column("名称", 28),
        Column("类别", 12, choices="类别", note="从下拉列表选择；类别清单在“选项”表中，可增删"),
    ),
    "数据": (
        Column("单位编码", 10, _TEXT, note="与单位表的编码一致"),
        Column("单位名称", 24, note="仅供核对，程序不读取"),
    ),
    "加减分": (
        Column("单位编码", 10, _TEXT),
        Column("类型", 8, choices="类型", note="加分 或 扣分"),
        Column("分值", 8, "0.00", note="填正数；合计受设置表中 加分上限/扣分上限 约束"),
        Column("事由", 44),
    ),
    "否决": (
        Column("单位编码", 10, _TEXT),
        Column("事项", 16, note="如 安全生产、党风廉政"),
        Column("事由", 44),
    ),
    "修正": (
        Column("单位编码", 10, _TEXT),
        Column("指标编码", 10, _TEXT, note="留空 = 修正总分"),
        Column("系数", 8, "0.000", note="大于 0，如 1.05；修正后指标得分不超过分值"),
        Column("事由", 44),
    ),
}

#: The 设置 sheet as the blank workbook offers it: (项目, default 值, 说明).
SETTINGS_ROWS: tuple[tuple[str, object, str], ...] = (
    ("考核名称", "", "通报标题，如 2025年度全市综合绩效考核"),
    ("考核年度", "", "如 2025"),
    ("发文机关", "", "通报落款"),
    ("文号", "", "如 示绩考办〔2026〕3号"),
    ("成文日期", None, "日期，如 2026-01-20"),
    ("主送机关", "", "通报主送"),
    ("等次标准", "优秀:90; 良好:80; 合格:60; 不合格:0", "等次:分数线，由高到低，用分号分隔"),
    ("优秀比例", 0.2, "每个类别优秀名额占单位数的比例；可按类别填写，如 县市区:20%; 市直部门:15%"),
    ("优秀名额", None, "或直接填名额（如 6 或 前6名）；与比例同时填写时取较少者"),
    ("比例取整", "向下", "名额不是整数时：向下 / 四舍五入 / 向上"),
    ("否决效果", "不得评优", "被一票否决的单位：不得评优（保留得分和排名）/ 不合格（直接定为最低等次）"),
    ("加分上限", None, "加分合计最多计多少分；留空 = 不设上限"),
    ("扣分上限", None, "扣分合计最多计多少分；留空 = 不设上限"),
    ("并列处理", "不超额", "名额边界上并列时：不超额（并列者均不占名额）/ 并列均入（均占名额）"),
    ("排名依据", "", "总分相同时依次比较的维度或指标编码，如 共性目标、F01；留空 = 并列"),
    ("满分", 100, "每个类别指标分值合计应等于的满分"),
    ("定性折算", "优:1; 良:0.8; 中:0.6; 差:0.4", "定性指标的等级与得分比例（A/B/C/D 同样适用）"),
)

_SETTING_FORMATS = {"优秀比例": "0%", "成文日期": 'yyyy"年"m"月"d"日"', "加分上限": "0.##", "扣分上限": "0.##"}
_SETTING_CHOICES = {"比例取整": "比例取整", "否决效果": "否决效果", "并列处理": "并列处理"}

#: Fixed drop-down lists (inline); 类别 lists refer to the 选项 sheet.
_LISTS: Mapping[str, tuple[str, ...]] = {
    "计分方法": WORKBOOK_NAMES,
    "方向": ("正向", "逆向"),
    "类型": ("加分", "扣分"),
    "否决效果": VETO_MODES,
    "比例取整": ROUNDING,
    "并列处理": QUOTA_TIES,
    "阶梯方式": ("整档", "线性"),
}

#: The method catalogue shown on the 说明 sheet: (name, key, parameters, rule, example),
#: written once in each method's module (the Excel function wizard shows the same text).
CATALOGUE: tuple[tuple[str, str, str, str, str], ...] = tuple(m.catalogue_row for m in METHODS.values())

_GUIDE_STEPS = (
    "1. 设置：填写考核名称、年度、等次标准、优秀比例或名额、否决效果、加减分上限等（带下拉列表的项请从列表选择）。",
    "2. 选项：列出本次考核的单位类别（如 县市区、市直部门、国有企业），单位表和指标表的类别下拉列表取自这里。",
    "3. 指标：每行一项指标。编码唯一；分值为该指标满分；计分方法从下拉列表选择，并填写该方法需要的参数（见下表）。"
    "适用类别留空表示适用于全部类别，分类考核时填写类别。",
    "4. 单位：每行一个被考核单位，编码唯一，类别从下拉列表选择。",
    "5. 数据：每行一个单位，第一列为单位编码，其后每个指标编码一列（列名即指标编码，列的顺序不限，可增加备注列）。"
    "数据留空表示未填报（计 0 分并提示），填“不适用”表示该指标不适用（按其余指标分值折算）。",
    "6. 加减分、否决、修正：有则逐行填写，没有可留空。修正表的指标编码留空表示修正总分。",
    "7. 检查：perf-excel check 工作簿.xlsx 一次列出全部问题及其单元格；计分：perf-excel score 工作簿.xlsx -o 结果.xlsx。",
)

_GUIDE_DATA = (
    "· 数字可以是数值或文本，“95”“ 95 ”“９５”“1,200”均可识别；“48,7”这类写法有歧义，会报错，请改为 48.7。",
    "· 百分比指标（计量单位填 %）的数据请填百分数的数值：95 表示 95%；文本“95%”也按 95 读取。",
    "· 编码列为文本格式，001 不会变成 1。工作表和列名可用英文别名（indicators、units、data、code…）。",
    "· 程序只写入“结果”和“计分明细”两张表（使用 --write-back 时），其他内容不会改动。",
)


def _header(ws: Worksheet, columns: Sequence[Column | str], freeze: str = "A2") -> None:
    """Write and style the header row, set widths, formats and the freeze pane."""
    for j, col in enumerate(columns, start=1):
        if isinstance(col, str):
            col = Column(col)
        cell = ws.cell(row=1, column=j, value=col.name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if col.note:
            cell.comment = Comment(col.note, "perf-excel", width=260, height=90)
        letter = col_letter(j - 1)
        ws.column_dimensions[letter].width = col.width
        if col.number_format != "General":
            for r in range(2, PREPARED_ROWS + 2):
                ws.cell(row=r, column=j).number_format = col.number_format
    ws.row_dimensions[1].height = 22
    ws.freeze_panes = freeze
    _print_setup(ws)


def _print_setup(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.horizontalCentered = True


def _list_formula(key: str) -> str:
    if key.startswith("类别"):
        return f"'{OPTIONS_SHEET}'!$A$2:$A$201"
    return '"' + ",".join(_LISTS[key]) + '"'


def _add_choice(ws: Worksheet, key: str, ref: str) -> None:
    strict = key in _LISTS
    dv = DataValidation(
        type="list",
        formula1=_list_formula(key),
        allow_blank=True,
        showErrorMessage=key != "类别_any",
        errorStyle="stop" if strict else "warning",
        errorTitle="请从列表中选择",
        error=f"请从下拉列表中选择{key.rstrip('_any')}" if strict else "该类别不在“选项”表中，确定要使用吗？",
    )
    ws.add_data_validation(dv)
    dv.add(ref)


def _columns(sheet: str, header: Sequence[str]) -> list[Column]:
    known = {c.name: c for c in SHEET_COLUMNS.get(sheet, ())}
    out = []
    for name in header:
        if name in known:
            out.append(known[name])
        elif sheet == "数据":
            out.append(Column(name, max(9, min(16, 2 * len(name) + 3))))
        else:
            out.append(Column(name, max(10, min(30, 2 * len(name) + 4))))
    return out


def _write_contract_sheet(
    ws: Worksheet, sheet: str, header: Sequence[str], rows: Sequence[Sequence[object]], n_prepared: int
) -> None:
    columns = _columns(sheet, header)
    freeze = "C2" if sheet == "数据" and len(header) > 1 and header[1] in ("单位名称", "名称") else "A2"
    if sheet == "指标":
        freeze = "D2"
    _header(ws, columns, freeze)
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            if value is not None and value != "":
                ws.cell(row=i, column=j, value=value)
    last = max(n_prepared, len(rows) + 200) + 1
    for j, col in enumerate(columns):
        if col.choices:
            letter = col_letter(j)
            _add_choice(ws, col.choices, f"{letter}2:{letter}{last}")
    if sheet in ("加减分",):
        j = header.index("分值") if "分值" in header else None
        if j is not None:
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            dv.error, dv.errorTitle, dv.showErrorMessage = "分值应为不小于 0 的数（扣分请选类型“扣分”）", "分值", True
            ws.add_data_validation(dv)
            dv.add(f"{col_letter(j)}2:{col_letter(j)}{last}")
    if sheet == "修正" and "系数" in header:
        j = header.index("系数")
        dv = DataValidation(type="decimal", operator="greaterThan", formula1="0", allow_blank=True)
        dv.error, dv.errorTitle, dv.showErrorMessage = "修正系数应大于 0，如 1.05", "系数", True
        ws.add_data_validation(dv)
        dv.add(f"{col_letter(j)}2:{col_letter(j)}{last}")


def _write_settings(ws: Worksheet, settings: Sequence[tuple[str, object]] | None) -> None:
    _header(ws, SHEET_COLUMNS["设置"])
    given = dict(settings) if settings is not None else None
    rows: list[tuple[str, object, str]] = []
    for key, default, note in SETTINGS_ROWS:
        if given is None:
            rows.append((key, default, note))
        elif key in given:
            rows.append((key, given[key], note))
    if given is not None:
        known = {k for k, _, _ in SETTINGS_ROWS}
        rows.extend((k, v, "") for k, v in given.items() if k not in known)
    for i, (key, value, note) in enumerate(rows, start=2):
        ws.cell(row=i, column=1, value=key)
        cell = ws.cell(row=i, column=2, value=None if value == "" else value)
        cell.alignment = Alignment(horizontal="left")
        if key in _SETTING_FORMATS:
            cell.number_format = _SETTING_FORMATS[key]
        if isinstance(value, (datetime, date)):
            cell.number_format = _SETTING_FORMATS["成文日期"]
        ws.cell(row=i, column=3, value=note).alignment = _WRAP
        if key in _SETTING_CHOICES:
            _add_choice(ws, _SETTING_CHOICES[key], f"B{i}")


def _write_options(ws: Worksheet, categories: Sequence[str]) -> None:
    _header(ws, [Column("类别（可增删）", 18, note="单位表、指标表的类别下拉列表取自这一列")])
    for i, cat in enumerate(categories, start=2):
        ws.cell(row=i, column=1, value=cat)
    ws.column_dimensions["C"].width = 60
    ws["C1"] = "其他下拉列表（固定）"
    ws["C1"].font = HEADER_FONT
    for i, (key, values) in enumerate(_LISTS.items(), start=2):
        ws.cell(row=i, column=3, value=f"{key}：{'、'.join(values)}")


def _write_guide(ws: Worksheet) -> None:
    ws.sheet_view.showGridLines = False
    widths = {"A": 12, "B": 10, "C": 34, "D": 58, "E": 34}
    for letter, w in widths.items():
        ws.column_dimensions[letter].width = w
    ws["A1"] = "绩效考核工作簿 填写说明"
    ws["A1"].font = TITLE_FONT
    ws.merge_cells("A1:E1")
    ws.row_dimensions[1].height = 30
    r = 3
    ws.cell(row=r, column=1, value="一、填写步骤").font = SECTION_FONT
    for text in _GUIDE_STEPS:
        r += 1
        ws.cell(row=r, column=1, value=text).alignment = _WRAP
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        ws.row_dimensions[r].height = 32
    r += 2
    ws.cell(row=r, column=1, value="二、计分方法").font = SECTION_FONT
    r += 1
    for j, h in enumerate(("计分方法", "英文名", "需要填写的参数", "计分规则", "示例"), start=1):
        cell = ws.cell(row=r, column=j, value=h)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
    for entry in CATALOGUE:
        r += 1
        for j, value in enumerate(entry, start=1):
            cell = ws.cell(row=r, column=j, value=value)
            cell.alignment, cell.border = _WRAP, BORDER
        ws.row_dimensions[r].height = 48
    r += 2
    ws.cell(row=r, column=1, value="三、计算顺序").font = SECTION_FONT
    for text in (
        "各指标得分（有指标修正系数的乘以系数，不超过分值）→ 有“不适用”指标的按适用分值折算为满分 → 乘以总分修正系数"
        " → 加分（不超过上限）、减去扣分（不超过上限）→ 总分四舍五入保留两位小数 → 类别内排名（并列按 1、1、3 处理）"
        " → 按分数线和优秀名额评定等次（被一票否决的单位不占优秀名额）。",
    ):
        r += 1
        ws.cell(row=r, column=1, value=text).alignment = _WRAP
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        ws.row_dimensions[r].height = 48
    r += 2
    ws.cell(row=r, column=1, value="四、数据填写约定").font = SECTION_FONT
    for text in _GUIDE_DATA:
        r += 1
        ws.cell(row=r, column=1, value=text).alignment = _WRAP
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        ws.row_dimensions[r].height = 30
    _print_setup(ws)
    ws.print_title_rows = None


def fill_workbook(
    settings: Sequence[tuple[str, object]] | None = None,
    sheets: Mapping[str, tuple[Sequence[str], Sequence[Sequence[object]]]] | None = None,
    categories: Sequence[str] | None = None,
    guide: bool = True,
) -> Workbook:
    """A styled input workbook.

    ``settings`` are (项目, 值) pairs (None: the blank defaults). ``sheets`` maps a
    contract sheet name to (header, rows); contract sheets not given are written with
    their default header and no rows. ``categories`` fill the 选项 sheet (default: the
    categories of 单位, else 县市区/市直部门/国有企业).
    """
    sheets = dict(sheets or {})
    if categories is None:
        units = sheets.get("单位")
        found: list[str] = []
        if units:
            k = list(units[0]).index("类别") if "类别" in units[0] else None
            if k is not None:
                found = list(dict.fromkeys(str(r[k]) for r in units[1] if r[k]))
        categories = found or list(DEFAULT_CATEGORIES)
    wb = Workbook()
    ws = wb.active
    if guide:
        ws.title = GUIDE_SHEET
        _write_guide(ws)
        ws = wb.create_sheet("设置")
    else:
        ws.title = "设置"
    _write_settings(ws, settings)
    for sheet in ("指标", "单位", "数据", "加减分", "否决", "修正"):
        header, rows = sheets.pop(sheet, ([c.name for c in SHEET_COLUMNS[sheet]], []))
        _write_contract_sheet(wb.create_sheet(sheet), sheet, list(header), rows, PREPARED_ROWS)
    for sheet, (header, rows) in sheets.items():
        ws = wb.create_sheet(sheet)
        _write_contract_sheet(ws, sheet, list(header), rows, 0)
    _write_options(wb.create_sheet(OPTIONS_SHEET), categories)
    wb.active = 1 if guide else 0
    return wb


def example_contents() -> tuple[list[tuple[str, object]], dict[str, tuple[list[str], list[list[object]]]]]:
    """A small worked example: 8 units in two categories, six indicators, one of each adjustment.

    Each category's indicators add up to 100 points, so the example checks without warnings.
    """
    settings = [(k, v) for k, v, _ in SETTINGS_ROWS]
    overrides = {
        "考核名称": "2025年度示例县绩效考核",
        "考核年度": 2025,
        "发文机关": "示例县绩效考核委员会办公室",
        "文号": "示绩考办〔2026〕1号",
        "成文日期": datetime(2026, 1, 20),
        "主送机关": "各乡镇人民政府，县直各部门",
        "优秀比例": 0.25,
        "加分上限": 3,
        "扣分上限": 5,
    }
    settings = [(k, overrides.get(k, v)) for k, v in settings]
    ind_header = [c.name for c in SHEET_COLUMNS["指标"]]

    def ind(**kw: object) -> list[object]:
        return [kw.get(h) for h in ind_header]

    indicators = [
        ind(编码="E01", 维度="经济发展", 指标名称="地区生产总值增速", 适用类别="乡镇", 分值=30, 计分方法="功效系数",
            优秀值=8, 良好值=7, 平均值=6, 较低值=5, 较差值=4, 计量单位="%", 合理下限=-10, 合理上限=20),
        ind(编码="E02", 维度="经济发展", 指标名称="重点工作完成率", 适用类别="县直部门", 分值=30, 计分方法="完成比例",
            目标值=100, 计量单位="%", 合理下限=0, 合理上限=120),
        ind(编码="K01", 维度="重点任务", 指标名称="重点项目推进率", 分值=25, 计分方法="区间",
            区间=">=95:1; >=90:0.8; >=80:0.6; else:0.3", 计量单位="%"),
        ind(编码="K02", 维度="重点任务", 指标名称="民生实事完成率", 分值=15, 计分方法="达标", 目标值=95, 计量单位="%"),
        ind(编码="G01", 维度="共性目标", 指标名称="党风廉政建设", 分值=15, 计分方法="定性", 说明="优/良/中/差"),
        ind(编码="G02", 维度="共性目标", 指标名称="安全生产责任事故", 分值=15, 计分方法="扣分", 每项扣分=5, 计量单位="起"),
    ]  # fmt: skip
    units = [
        ["X01", "城关镇", "乡镇"],
        ["X02", "青石镇", "乡镇"],
        ["X03", "白沙乡", "乡镇"],
        ["X04", "云岭乡", "乡镇"],
        ["D01", "县发展改革局", "县直部门"],
        ["D02", "县财政局", "县直部门"],
        ["D03", "县教育局", "县直部门"],
        ["D04", "县农业农村局", "县直部门"],
    ]
    codes = ["E01", "E02", "K01", "K02", "G01", "G02"]
    values = {
        "X01": [7.6, None, 96, 98, "优", 0],
        "X02": [6.4, None, 91, 96, "良", 1],
        "X03": [5.2, None, 84, 93, "良", 0],
        "X04": [8.3, None, 97, 99, "优", 0],
        "D01": [None, 102, 95, 97, "优", 0],
        "D02": [None, 96, 92, 95, "良", 0],
        "D03": [None, 88, "不适用", 96, "中", 0],
        "D04": [None, 93, 79, 90, "良", 2],
    }
    data = [[code, name, *values[code]] for code, name, _ in units]
    sheets = {
        "指标": (ind_header, indicators),
        "单位": (["编码", "名称", "类别"], units),
        "数据": (["单位编码", "单位名称", *codes], data),
        "加减分": (["单位编码", "类型", "分值", "事由"], [["X02", "加分", 1, "获评省级乡村振兴示范乡镇"]]),
        "否决": (["单位编码", "事项", "事由"], [["X04", "安全生产", "发生较大生产安全责任事故"]]),
        "修正": (["单位编码", "指标编码", "系数", "事由"], [["X03", "E01", 1.1, "遭受洪涝灾害，经批准修正"]]),
    }
    return settings, sheets


def new_workbook(example: bool = False) -> Workbook:
    """The blank workbook (``example``: filled with a small worked example)."""
    if example:
        settings, sheets = example_contents()
        return fill_workbook(settings, sheets, categories=["乡镇", "县直部门"])
    return fill_workbook()


def save_new(wb: Workbook, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Save ``wb`` to ``path`` atomically; refuses to replace an existing file unless ``overwrite``."""
    from perf_excel.files.outputs import atomic_output

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        if target.suffix.lower() == ".xlsm":
            raise OutputError(f"{target.name}：新建工作簿只能保存为 .xlsx（宏工作簿请在 Excel 中另存为 .xlsm）")
        target = target.with_name(target.name + ".xlsx")
    if target.exists() and not overwrite:
        raise OutputError(
            f"{target.name}：文件已存在，未覆盖；请换一个文件名，或加 {{option}} 覆盖", option="overwrite"
        )
    if not target.parent.exists():
        raise OutputError(f"{target}：文件夹不存在，请先创建")
    with atomic_output(target) as tmp:
        wb.save(tmp)
    return target
