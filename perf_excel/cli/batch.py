"""``perf-excel batch``: convert every workbook of a folder, with progress and a summary."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from perf_excel.batch import DEFAULT_TIMEOUT, FAILED, OK, SUMMARY_JSON, SUMMARY_XLSX, UNCHANGED, FileRecord, run_batch
from perf_excel.cli import add_switches
from perf_excel.core.errors import UsageError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="批量转换文件夹中的全部工作簿（并行；坏文件不影响其他文件）",
        description=(
            "递归查找 IN_DIR 下的 .xlsx/.xlsm 工作簿（跳过 Excel 的 ~$ 锁定文件），每个工作簿在 "
            "OUT_DIR/<相对路径，不含扩展名>/ 下生成结果工作簿、通报和反馈单，并写出汇总 "
            f"{SUMMARY_JSON} 与 {SUMMARY_XLSX}。退出码：0 全部成功，1 有文件失败，2 用法错误。"
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="IN_DIR", help="输入文件夹（也可以是工作簿文件）")
    p.add_argument("-o", "--output", required=True, metavar="OUT_DIR", help="输出文件夹（不存在时自动创建）")
    p.add_argument("-j", "--jobs", type=_positive_int, metavar="N", help="并行进程数（默认：CPU 核数）")
    p.add_argument("--pattern", metavar="GLOB", help="只处理相对路径或文件名匹配的工作簿，例如 '2025/*.xlsx'")
    add_switches(
        p,
        [
            ("--pdf", "同时生成 PDF（需要 LibreOffice）"),
            ("--results-only", "只生成结果工作簿，不生成通报和反馈单"),
            ("--force", "即使工作簿和选项都未变化也重新生成"),
        ],
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="在 Dask 集群上运行，例如 tcp://主机:8786（需 perf-excel[dask]）"
    )
    p.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"单个工作簿的最长处理时间，超时即终止并记为失败（默认 {DEFAULT_TIMEOUT:g} 秒）",
    )
    level = p.add_mutually_exclusive_group()
    level.add_argument("-q", "--quiet", action="store_true", help="只输出失败的文件")
    level.add_argument("-v", "--verbose", action="store_true", help="逐个文件输出，并列出警告")
    p.set_defaults(func=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” 不是正整数") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"“{text}” 不是正整数")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” 不是正数") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"“{text}” 不是正数")
    return value


def run(args: argparse.Namespace) -> int:
    if args.scheduler and args.jobs:
        print("提示：使用 --scheduler 时由 Dask 集群决定并行度，--jobs 被忽略。", file=sys.stderr)
    if args.pdf and args.results_only:
        raise UsageError("--pdf 需要生成文档，不能与 --results-only 同用")
    reporter = _Reporter(sys.stderr, quiet=args.quiet, verbose=args.verbose)
    try:
        summary = run_batch(
            args.inputs,
            args.output,
            jobs=args.jobs,
            pattern=args.pattern,
            pdf=args.pdf,
            documents=not args.results_only,
            force=args.force,
            scheduler=args.scheduler,
            timeout=args.timeout,
            progress=reporter,
        )
    finally:
        reporter.close()
    if not args.quiet:
        for item in summary.ignored:
            print(f"跳过  {item['source']}：{item['reason']}", file=sys.stderr)
    failed = summary.failed
    if failed:
        print(f"失败的工作簿（{len(failed)} 个）：", file=sys.stderr)
        for f in failed:
            print(f"  {f.source}", file=sys.stderr)
            for e in f.errors:
                print(f"    {e.get('text') or e.get('message')}", file=sys.stderr)
    if summary.errors:
        print("批量任务的问题：", file=sys.stderr)
        for text in summary.errors:
            print(f"  {text}", file=sys.stderr)
    if not summary.files and not args.quiet:
        print(f"在 {'、'.join(args.inputs)} 中没有找到工作簿（.xlsx/.xlsm）。", file=sys.stderr)
    if not args.quiet:
        parts = [f"共 {len(summary.files)} 个工作簿", f"成功 {summary.count(OK)}", f"失败 {summary.count(FAILED)}"]
        if summary.count(UNCHANGED):
            parts.append(f"未变化跳过 {summary.count(UNCHANGED)}")
        if summary.ignored:
            parts.append(f"忽略 {len(summary.ignored)} 个非工作簿/锁定文件")
        xlsx = Path(summary.out_dir) / SUMMARY_XLSX
        where = f"汇总：{xlsx}" if str(xlsx) in summary.written else "汇总文件未能写入（见上）"
        print(f"完成：{'，'.join(parts)}；用时 {summary.seconds:.1f} 秒。{where}")
    return summary.exit_code


def _without_name(reason: str, source: str) -> str:
    """The reason without its leading file name (the log line names the file already)."""
    name = source.rsplit("/", 1)[-1]
    for sep in ("：", " "):
        if reason.startswith(name + sep):
            return reason[len(name) + len(sep) :]
    return reason


class _Reporter:
    """Progress: a rich bar with counts and ETA on a terminal, one plain line per file otherwise."""

    def __init__(self, stream: TextIO, quiet: bool = False, verbose: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.verbose = verbose
        self.total = 0
        self.done = 0
        self.counts = {OK: 0, FAILED: 0, UNCHANGED: 0}
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self.interactive = bool(getattr(stream, "isatty", lambda: False)()) and not quiet

    def __call__(self, event: str, value: Any) -> None:
        if event == "start":
            self.total = int(value)
            self.started = time.monotonic()
            if self.interactive and self.total:
                self._start_bar()
        elif event == "file":
            self._file(value)

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        console = Console(file=self.stream)
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("剩余"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[counts]}"),
            console=console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("转换", total=self.total, counts=self._counts_text())

    def _counts_text(self) -> str:
        text = f"成功 {self.counts[OK]} 失败 {self.counts[FAILED]}"
        if self.counts[UNCHANGED]:
            text += f" 跳过 {self.counts[UNCHANGED]}"
        return text

    def _file(self, record: FileRecord) -> None:
        self.done += 1
        if record.status in self.counts:
            self.counts[record.status] += 1
        lines = self._lines(record)
        if self._bar is not None:
            if record.status == UNCHANGED:
                # Skipped files leave the bar: counted as done they would make the ETA far too short.
                total = self._bar.tasks[0].total or 1
                self._bar.update(self._task, total=max(0, total - 1), counts=self._counts_text())
            else:
                self._bar.update(self._task, advance=1, counts=self._counts_text())
            for line in lines:
                self._bar.console.print(line, markup=False, highlight=False)
        else:
            for line in lines:
                print(line, file=self.stream, flush=True)

    def _lines(self, record: FileRecord) -> list[str]:
        """What to log for one finished file, by verbosity; failures are always shown at the end."""
        if self.quiet:
            return []
        failed = record.status == FAILED
        if self._bar is not None and not self.verbose and not failed:
            return []
        head = f"[{self.done}/{self.total}]"
        if record.status == OK:
            grades = "，".join(f"{g} {n}" for g, n in record.grades.items() if n)
            line = f"{head} 成功  {record.source}（{record.units} 个单位；{grades}；{record.seconds:.2f} 秒）"
        elif record.status == UNCHANGED:
            line = f"{head} 跳过  {record.source}（未变化）"
        else:
            line = f"{head} 失败  {record.source}：{_without_name(record.reason, record.source)}"
        lines = [line]
        if self.verbose:
            lines += [f"      警告  {w.get('text') or w.get('message')}" for w in record.warnings]
            if failed:
                lines += [f"      错误  {e.get('text') or e.get('message')}" for e in record.errors[1:]]
                if record.detail:
                    lines.append(record.detail.rstrip())
        return lines

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
