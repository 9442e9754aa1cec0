"""``perf-excel check`` and ``perf-excel score``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from perf_excel.core.build import build_scheme
from perf_excel.core.errors import UsageError
from perf_excel.pipeline import assess_workbook, find_anomalies, read

__all__ = ["register", "run_check", "run_score"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="检查工作簿，列出全部问题及其单元格")
    p.add_argument("workbook", help="考核工作簿（.xlsx/.xlsm）")
    p.add_argument(
        "--previous", metavar="FILE", help="上年度考核工作簿，用于同比异动预警（不给时使用本工作簿的“历年”表）"
    )
    p.set_defaults(func=run_check)

    p = sub.add_parser("score", help="计分、排名、评定等次")
    p.add_argument("workbook", help="考核工作簿（.xlsx/.xlsm）")
    p.add_argument("-o", "--output", help="写出结果工作簿（.xlsx）；源工作簿不会被修改")
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果到标准输出")
    p.add_argument(
        "--write-back",
        action="store_true",
        help="把“结果”和“计分明细”写回源工作簿（其他内容和宏保持不变，原文件备份为 .bak）",
    )
    p.add_argument(
        "--previous",
        metavar="FILE",
        help="上年度考核工作簿，用于同比异动预警；预警写入结果工作簿的“数据异动预警”表（不影响得分）",
    )
    p.set_defaults(func=run_score)


def run_check(args: argparse.Namespace) -> int:
    path = Path(args.workbook)
    tables = read(path)
    # Every problem is listed, errors and warnings alike: not pipeline.check, which stops at errors.
    scheme, dataset, problems = build_scheme(tables, file=path.name)
    if not any(p.is_error for p in problems):
        from perf_excel.xlsx.history import collect_anomalies

        anomalies, notes = collect_anomalies(scheme, dataset, tables, path, getattr(args, "previous", None))
        # check lists every anomaly as a warning after the problems met finding them
        problems = [*problems, *notes, *(a.to_problem() for a in anomalies)]
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    for p in errors:
        print(f"错误  {p}")
    for p in warnings:
        print(f"警告  {p}")
    if errors:
        print(f"{path.name}：发现 {len(errors)} 个错误、{len(warnings)} 个警告。", file=sys.stderr)
        return 1
    print(
        f"{path.name}：检查通过（{len(scheme.units)} 个单位，{len(scheme.indicators)} 项指标，{len(warnings)} 个警告）。"
    )
    return 0


def run_score(args: argparse.Namespace) -> int:
    path = Path(args.workbook)
    previous = getattr(args, "previous", None)
    if args.output:
        _check_output(path, args.output, previous)
    results, tables, warnings = assess_workbook(path)
    for w in warnings:
        print(f"警告  {w}", file=sys.stderr)
    anomalies = None
    if args.output or args.write_back or previous:
        anomalies = _anomalies(results, tables, path, previous, listed=not (args.output or args.write_back))
    if args.output:
        from perf_excel.xlsx.writer import write_results

        out = write_results(results, args.output, anomalies)
        print(f"结果已写入：{out}", file=sys.stderr if args.json else sys.stdout)
    if args.write_back:
        from perf_excel.xlsx.writeback import write_back

        backup = write_back(results, path, anomalies)
        print(f"结果已写回：{path}（原文件备份为 {backup.name}）", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        json.dump([*results.to_records(), *_exempt_records(results)], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif not args.output and not args.write_back:
        _print_table(results)
    return 0


def _check_output(source: Path, output: str, previous: str | None) -> None:
    """``-o`` must not name the source, its backup or the previous year's workbook — compared as
    the file really written (``-o 考核表.xlsm`` and ``-o 考核表`` write ``考核表.xlsx``)."""
    from perf_excel.files.outputs import backup_path, same_file
    from perf_excel.xlsx.writer import results_path

    target = results_path(output)
    if same_file(target, source):
        raise UsageError(
            f"{source.name}：-o 不能指向源工作簿本身（结果会写到 {target}，即源工作簿，会覆盖数据）；"
            "要写回源工作簿请用 --write-back"
        )
    for protected, what in ((backup_path(source), "源工作簿的备份"), (Path(previous or ""), "上年度工作簿")):
        if str(protected) != "." and same_file(target, protected):
            raise UsageError(f"{source.name}：-o 不能指向{what} {protected.name}（结果会写到 {target}）")


def _anomalies(results, tables, path: Path, previous: str | None, listed: bool) -> list:
    """数据异动预警 for the results workbook; never an input to the scores.

    Problems around them (an unreadable previous workbook, a bad threshold) are warnings on
    stderr; with ``listed`` (no results workbook to hold them) every anomaly is printed too.
    """
    anomalies, problems = find_anomalies(results, tables, path, previous)
    shown = [*problems, *(a.to_problem() for a in anomalies)] if listed else problems
    for p in shown:
        print(f"{'错误' if p.is_error else '警告'}  {p}", file=sys.stderr)
    if anomalies and not listed:
        print(f"数据异动预警 {len(anomalies)} 条，已写入“数据异动预警”表（不影响得分）", file=sys.stderr)
    return anomalies


def _print_table(results) -> None:
    t = results.table
    for cat in results.scheme.categories:
        print(f"【{cat}】")
        sub = t[t["category"] == cat].sort_values(["rank"], kind="stable")
        for code, r in sub.iterrows():
            veto = "  否决" if r["vetoed"] else ""
            print(f"  {int(r['rank']):>3}  {code:<8} {r['name']:<16} {r['total']:>7.2f}  {r['grade']}{veto}")
    exempt = getattr(results.scheme, "exempt", ())
    if exempt:
        print("【不需评估】")
        for unit, reason in exempt:
            print(f"       {unit.code:<8} {unit.name:<16} {reason}")


def _exempt_records(results) -> list[dict]:
    """事前绩效评估: projects below the threshold, in the shape of the scored records."""
    from perf_excel.core.exante import EXEMPT_GRADE

    return [
        {
            "unit": u.code,
            "name": u.name,
            "category": u.category,
            "dimensions": {},
            "bonus": None,
            "total": None,
            "rank": None,
            "grade": EXEMPT_GRADE,
            "vetoed": False,
            "indicators": {},
            "explanation": reason,
        }
        for u, reason in getattr(results.scheme, "exempt", ())
    ]
