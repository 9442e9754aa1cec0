"""``perf-excel templates check TEMPLATE`` and ``perf-excel templates export DIR``."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("templates", help="检查或导出 Word 模板（通报、反馈单、年鉴）")
    tsub = p.add_subparsers(dest="templates_command", metavar="操作", parser_class=type(p))
    c = tsub.add_parser("check", help="列出模板使用的变量，标出数据中没有的变量，并用示例数据试渲染")
    c.add_argument("template", help="模板文件（.docx）")
    c.add_argument("--kind", choices=["bulletin", "letter", "yearbook"], help="模板类型（默认按文件名判断）")
    c.set_defaults(func=run_check)
    e = tsub.add_parser("export", help="把内置模板复制到文件夹，供在 Word 中修改")
    e.add_argument("directory", help="输出文件夹")
    e.add_argument("--force", action="store_true", help="覆盖已有文件")
    e.set_defaults(func=run_export)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_check(args: argparse.Namespace) -> int:
    from perf_excel.documents.checks import KIND_NAMES, check_template
    from perf_excel.documents.context import CONTEXT_KEYS

    report = check_template(args.template, args.kind)
    print(f"{report.name}（{KIND_NAMES[report.kind]}模板）")
    if report.variables:
        print("使用的变量：" + "、".join(report.variables))
    if report.unknown:
        for v in report.unknown:
            print(f"错误  {report.name}：未定义的变量 “{v}”（数据不提供）")
        print("可用的变量：" + "、".join(CONTEXT_KEYS[report.kind]))
    if report.error:
        print(f"错误  {report.error}")
    if report.ok:
        print(f"{report.name}：检查通过（已用示例数据试渲染）。")
        return 0
    return 1


def run_export(args: argparse.Namespace) -> int:
    from perf_excel.documents.checks import export_templates

    for path in export_templates(args.directory, force=args.force):
        print(path)
    print("已导出内置模板。可在 Word 中修改文字和格式，保留 {{ }} 和 {% %} 标签；用 --template 指定修改后的模板。")
    return 0
