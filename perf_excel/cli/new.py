"""``perf-excel new PATH [--example] [--force]``: a blank assessment workbook."""

from __future__ import annotations

import argparse

from perf_excel.xlsx.blank import new_workbook, save_new

__all__ = ["register", "run_new"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="生成空白考核工作簿（含填写说明和下拉列表）")
    p.add_argument("path", help="新工作簿的路径（.xlsx）")
    p.add_argument("--example", action="store_true", help="填入一个可直接计分的小示例")
    p.add_argument("--force", action="store_true", help="文件已存在时覆盖")
    p.set_defaults(func=run_new)


def run_new(args: argparse.Namespace) -> int:
    out = save_new(new_workbook(example=args.example), args.path, overwrite=args.force)
    what = "示例工作簿" if args.example else "空白工作簿"
    print(f"已生成{what}：{out}")
    print(f"填写后检查：perf-excel check {out}")
    return 0
