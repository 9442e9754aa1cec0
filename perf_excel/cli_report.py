"""``perf-excel report`` (bulletin and feedback letters) and ``perf-excel yearbook``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .assess import Results, assess
from .errors import InputError
from .workbook import read_workbook

__all__ = ["register", "run_report", "load_results"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="生成考核结果通报（Word）和各单位反馈单")
    p.add_argument("workbook", help="考核工作簿（.xlsx/.xlsm）")
    p.add_argument("-o", "--output", required=True, help="输出文件夹")
    p.add_argument("--template", help="自定义通报模板（.docx），默认使用内置模板")
    p.add_argument("--letter-template", help="自定义反馈单模板（.docx）")
    p.add_argument("--letters", action="store_true", help="同时为每个单位生成反馈单（每单位一个 .docx）")
    p.add_argument("--merged", action="store_true", help="另生成一个合订的反馈单文件（每单位一节，页码重新起算）")
    p.add_argument("--no-chart", action="store_true", help="反馈单不插入图表")
    p.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 转换为 PDF")
    p.set_defaults(func=run_report)


def load_results(path: str | Path) -> Results:
    """Read, validate and assess a workbook; warnings go to stderr."""
    path = Path(path)
    scheme, dataset, warnings = read_workbook(path)
    try:
        results = assess(scheme, dataset)
    except InputError as exc:
        raise exc.with_file(path.name) from None
    for w in (*warnings, *results.warnings):
        print(f"警告  {w.with_file(path.name)}", file=sys.stderr)
    return results


def run_report(args: argparse.Namespace) -> int:
    from .render import render_bulletin, render_letters

    results = load_results(args.workbook)
    out = Path(args.output)
    written = [render_bulletin(results, out, template=args.template)]
    print(f"通报已写入：{written[0]}")
    if args.letters or args.merged or args.letter_template:
        run = render_letters(
            results,
            out / "反馈单",
            template=args.letter_template,
            charts=not args.no_chart,
            merged=args.merged,
        )
        for w in run.warnings:
            print(f"警告  {w}", file=sys.stderr)
        print(f"反馈单已写入：{out / '反馈单'}（{len(run.files)} 份）")
        written += run.files
        if run.merged:
            print(f"合订反馈单已写入：{run.merged}")
            written.append(run.merged)
    if args.pdf:
        from .render.pdf import to_pdf

        pdfs = to_pdf(written, out / "PDF")
        print(f"PDF 已写入：{out / 'PDF'}（{len(pdfs)} 份）")
    return 0
