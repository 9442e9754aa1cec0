"""Benchmark 5: peak memory (RSS) of scoring and reporting the large case, each in its own child process.

    python scripts/bench_memory.py [--units 10000] [--indicators 200] [--letters 200] [--json]

Peak resident memory is read from the child's own rusage (``os.wait4``), so each figure is one
process's high-water mark, interpreter and libraries included:

* ``perf-excel score case.xlsx -o 结果.xlsx`` — read, check, assess, write 结果 and 计分明细;
* one process doing it all: score, write the results workbook, the bulletin, then ``--letters``
  feedback letters with charts (rendering every one of 10,000 letters would take many minutes
  and letters are rendered one at a time, so a few hundred show whether memory grows with them).

Goal: every figure under 1 GiB.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from bench_util import emit, perf_excel, run_child
from bench_workbooks import make_bench_case, write_input_workbook

_ALL_IN_ONE = """
import sys
from pathlib import Path
from perf_excel.core.assess import assess
from perf_excel.documents import render_bulletin, render_letters
from perf_excel.xlsx.reader import read_workbook
from perf_excel.xlsx.writer import write_results

src, out, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
scheme, dataset, _ = read_workbook(src)
results = assess(scheme, dataset)
write_results(results, out / "结果.xlsx")
render_bulletin(results, out)
render_letters(results, out / "反馈单", units=results.units[:n])
"""


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--indicators", type=int, default=200)
    ap.add_argument("--letters", type=int, default=200, help="letters rendered in the all-in-one process")
    ap.add_argument("--dir", default="out/bench")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    path = folder / f"case_{args.units}x{args.indicators}.xlsx"
    if not path.exists():
        write_input_workbook(make_bench_case(args.units, args.indicators), path)
    out = folder / "memory_out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    score = run_child([*perf_excel(), "score", str(path), "-o", str(out / "结果.xlsx")]).check("perf-excel score")
    every = run_child([sys.executable, "-c", _ALL_IN_ONE, str(path), str(out / "all"), str(args.letters)])
    every.check("score + report + letters")
    baseline = run_child(
        [sys.executable, "-c", "import perf_excel.documents, perf_excel.xlsx.writer, perf_excel.xlsx.reader"]
    )
    peak = max(score.max_rss_mib, every.max_rss_mib)
    return {
        "units": args.units,
        "indicators": args.indicators,
        "score_peak_rss_mib": round(score.max_rss_mib),
        "score_wall_s": round(score.wall, 1),
        f"score_report_{args.letters}_letters_peak_rss_mib": round(every.max_rss_mib),
        "score_report_letters_wall_s": round(every.wall, 1),
        "imports_only_rss_mib": round(baseline.max_rss_mib),
        "goal_under_1GiB": peak < 1024,
    }


if __name__ == "__main__":
    emit(main(), "--json" in sys.argv[1:])
