"""``perf-excel report`` (bulletin and feedback letters) and ``perf-excel yearbook``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from perf_excel.cli import add_switches
from perf_excel.core.assess import Results
from perf_excel.core.tables import Table
from perf_excel.pipeline import (
    LETTERS_DIR,
    PDF_DIR,
    assess_workbook,
    find_anomalies,
    render_documents,
    settings_template,
    templates,
)

__all__ = ["load_results", "register", "run_report", "run_yearbook"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="生成考核结果通报（Word）和各单位反馈单")
    p.add_argument("workbook", help="考核工作簿（.xlsx/.xlsm）")
    p.add_argument("-o", "--output", required=True, help="输出文件夹")
    p.add_argument("--template", help="自定义通报模板（.docx），默认使用内置模板")
    p.add_argument("--letter-template", help="自定义反馈单模板（.docx）")
    add_switches(
        p,
        [
            ("--letters", "同时为每个单位生成反馈单（每单位一个 .docx）"),
            ("--merged", "另生成一个合订的反馈单文件（每单位一节，页码重新起算）"),
            ("--no-chart", "反馈单不插入图表"),
            ("--pdf", "同时用 LibreOffice 转换为 PDF"),
        ],
    )
    p.add_argument(
        "--previous", metavar="FILE", help="上年度考核工作簿，用于同比异动预警（预警列于通报附件，不影响得分）"
    )
    p.set_defaults(func=run_report)

    p = sub.add_parser("yearbook", help="汇总多个年度的工作簿，生成年鉴表格（Word 和 Excel）")
    p.add_argument("workbooks", nargs="+", help="各年度的考核工作簿（.xlsx/.xlsm）")
    p.add_argument("-o", "--output", required=True, help="输出文件夹")
    p.add_argument("--template", help="自定义年鉴模板（.docx）")
    p.add_argument("--no-xlsx", action="store_true", help="不生成 Excel 版")
    p.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 转换为 PDF")
    p.set_defaults(func=run_yearbook)


def load_results(path: str | Path) -> Results:
    """Read, validate and assess a workbook; warnings go to stderr."""
    return _load(path)[0]


def _load(path: str | Path) -> tuple[Results, dict[str, Table]]:
    """:func:`load_results`, also returning the sheets read (so that ``report`` reads the workbook once)."""
    results, tables, warnings = assess_workbook(path)
    for w in warnings:
        print(f"警告  {w}", file=sys.stderr)
    return results, tables


def template_from_settings(results: Results, workbook: str | Path, kind: str) -> Path | None:
    """The template 设置 names for ``kind`` (see :func:`perf_excel.pipeline.settings_template`)."""
    return settings_template(results, workbook, kind)


def run_report(args: argparse.Namespace) -> int:
    results, tables = _load(args.workbook)
    chosen = templates(results, args.workbook, args.template, args.letter_template)
    anomalies = _anomalies(results, args.workbook, getattr(args, "previous", None), tables)
    del tables
    out = Path(args.output)
    letters = bool(args.letters or args.merged or args.letter_template)
    docs = render_documents(
        results,
        out,
        chosen,
        anomalies=anomalies,
        letters=letters,
        charts=not args.no_chart,
        merged=args.merged,
        pdf=args.pdf,
    )
    print(f"通报已写入：{docs.bulletin}")
    if docs.letters is not None:
        for w in docs.letters.warnings:
            print(f"警告  {w}", file=sys.stderr)
        print(f"反馈单已写入：{out / LETTERS_DIR}（{len(docs.letters.files)} 份）")
        if docs.letters.merged:
            print(f"合订反馈单已写入：{docs.letters.merged}")
    if args.pdf:
        print(f"PDF 已写入：{out / PDF_DIR}（{len(docs.pdfs)} 份）")
    return 0


def _anomalies(results: Results, workbook: str | Path, previous: str | None, tables: Mapping[str, Table]) -> list:
    """数据异动预警 for the bulletin's last attachment (``tables``: the workbook's sheets already
    read, for its 历年 sheet); problems around them go to stderr."""
    anomalies, problems = find_anomalies(results, tables, workbook, previous)
    for p in problems:
        print(f"警告  {p}", file=sys.stderr)
    if anomalies:
        print(f"数据异动预警 {len(anomalies)} 条，列于通报最后一个附件（不影响得分）", file=sys.stderr)
    return anomalies


def run_yearbook(args: argparse.Namespace) -> int:
    from perf_excel.documents.yearbook import render_yearbook
    from perf_excel.files.outputs import protect_inputs

    all_results = [load_results(path) for path in args.workbooks]
    template = args.template or template_from_settings(all_results[-1], args.workbooks[-1], "yearbook")
    with protect_inputs([template]):
        paths = render_yearbook(
            all_results,
            args.output,
            sources=[Path(p).name for p in args.workbooks],
            template=template,
            xlsx=not args.no_xlsx,
        )
        for path in paths:
            print(f"年鉴已写入：{path}")
        if args.pdf:
            from perf_excel.documents.pdf import to_pdf

            pdfs = to_pdf(paths[:1], Path(args.output) / "PDF")
            print(f"PDF 已写入：{pdfs[0]}")
    return 0
