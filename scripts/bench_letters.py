"""Benchmark 3: feedback letters — our prepared template versus a new DocxTemplate per letter.

    python scripts/bench_letters.py [--letters 1000] [--indicators 40] [--naive-sample 100] [--repeat 3] [--json]

The same built-in letter template (templates/letter.docx), the same results (``--letters`` units of
the ``bench_workbooks.py`` case, assessed), in one process:

* ours: ``render_letters`` — the template opened and compiled once, each letter only rendered and zipped;
* naive: ``render_letters_naive`` — what docxtpl's users write, a new ``DocxTemplate`` per letter
  (re-open, re-patch, re-compile). It is run on the first ``--naive-sample`` units and its per-letter
  time scaled to ``--letters`` (stated in the figures) so that ``make bench`` stays short;
* the canonical XML of every part of a sample of letters is compared between the two.

Building each letter's context (numbers and the explanation of every indicator) is the same work both
ways; it is timed alone too, and ``template_only_speedup`` compares what is left (the template work).

The goal is judged on CPU time (this process only; wall time is shown too), because on a shared 2-core
machine the wall time of one side can be inflated by other work while the other side runs.

Charts (a matplotlib PNG per letter) are off in the main comparison: they cost the same in both ways
and are not template work. ``--chart-sample`` letters are also timed with charts, both ways.
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

# Test support (golden files, canonical XML) lives in tests/support, outside the package.
_sys.path.insert(0, str(_Path(__file__).resolve().parents[1] / "tests"))

import argparse
import shutil
import sys
import time
from pathlib import Path

from bench_util import emit
from bench_workbooks import make_bench_case, write_input_workbook


def letter_results(n_units: int, n_indicators: int, folder: Path):
    from perf_excel.core.assess import assess
    from perf_excel.xlsx.reader import read_workbook

    path = folder / f"case_{n_units}x{n_indicators}.xlsx"
    if not path.exists():
        write_input_workbook(make_bench_case(n_units, n_indicators), path)
    scheme, dataset, _ = read_workbook(path)
    return assess(scheme, dataset)


def timed(fn) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn()`` (CPU time is what other work on a shared machine disturbs least)."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=1000)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--naive-sample", type=int, default=100, help="letters rendered the naive way (then scaled)")
    ap.add_argument("--chart-sample", type=int, default=20, help="letters timed with charts, both ways (0: skip)")
    ap.add_argument("--check-sample", type=int, default=5, help="letters whose XML is compared part by part")
    ap.add_argument(
        "--repeat", type=int, default=1, help="time both ways this many times, interleaved; the best of each counts"
    )
    ap.add_argument("--dir", default="out/bench")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from bench_letters_api import render_letters_naive
    from support.canon import canonical_parts, diff_parts

    from perf_excel.documents import render_letters

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    results = letter_results(args.letters, args.indicators, folder)
    units = list(results.units)
    sample = units[: min(args.naive_sample, len(units))]
    fast_dir, slow_dir = folder / "letters_ours", folder / "letters_naive"
    for d in (fast_dir, slow_dir):
        shutil.rmtree(d, ignore_errors=True)

    # Warm both paths (imports, template cache, matplotlib and its fonts) on one letter, untimed.
    render_letters(results, folder / "letters_warm", units=units[:1], charts=bool(args.chart_sample))
    render_letters_naive(results, folder / "letters_warm", units=units[:1], charts=bool(args.chart_sample))

    fast_runs: list = []
    ours = ours_cpu = naive = naive_cpu = float("inf")
    # Interleaved, so that a burst of other work on the shared machine is less likely to hit only one side.
    for i in range(max(1, args.repeat)):
        if i:
            for d in (fast_dir, slow_dir):
                shutil.rmtree(d, ignore_errors=True)
        wall, cpu = timed(lambda: fast_runs.append(render_letters(results, fast_dir, charts=False)))
        ours, ours_cpu = min(ours, wall), min(ours_cpu, cpu)
        wall, cpu = timed(lambda: render_letters_naive(results, slow_dir, units=sample, charts=False))
        naive, naive_cpu = min(naive, wall), min(naive_cpu, cpu)
    n, k = len(units), len(sample)

    # Building every letter's context (numbers, explanations) is the same work both ways; time it
    # alone so that the template work can be compared by itself too.
    from perf_excel.documents.context import LetterContexts

    builder = LetterContexts(results)
    _, context_cpu = timed(lambda: [builder.context(u) for u in units])

    checked = differing = 0
    step = max(1, k // max(1, args.check_sample))
    for path in fast_runs[0].files[:k:step][: args.check_sample]:
        checked += 1
        if diff_parts(canonical_parts(slow_dir / path.name), canonical_parts(path)):
            differing += 1

    speedup_cpu = (naive_cpu / k) / (ours_cpu / n)
    ctx = context_cpu / n
    figures: dict = {
        "letters": n,
        "indicators": args.indicators,
        "repeat": max(1, args.repeat),
        "ours_wall_s": round(ours, 2),
        "ours_cpu_s": round(ours_cpu, 2),
        "ours_ms_per_letter_cpu": round(ours_cpu / n * 1000, 2),
        "naive_sample_letters": k,
        "naive_sample_wall_s": round(naive, 2),
        "naive_sample_cpu_s": round(naive_cpu, 2),
        f"naive_cpu_s_scaled_to_{n}": round(naive_cpu / k * n, 1),
        "naive_ms_per_letter_cpu": round(naive_cpu / k * 1000, 2),
        "speedup_wall": round((naive / k) / (ours / n), 1),
        "speedup_cpu": round(speedup_cpu, 1),
        "context_ms_per_letter_cpu": round(ctx * 1000, 2),
        "template_only_speedup_cpu": round((naive_cpu / k - ctx) / max(ours_cpu / n - ctx, 1e-9), 1),
        "letters_xml_compared": checked,
        "letters_xml_differing": differing,
        "goal_10x": speedup_cpu >= 10,
    }
    if args.chart_sample:
        few = units[: args.chart_sample]
        _, with_chart = timed(lambda: render_letters(results, folder / "letters_chart_ours", units=few))
        _, naive_chart = timed(lambda: render_letters_naive(results, folder / "letters_chart_naive", units=few))
        figures.update(
            {
                "with_charts_sample": len(few),
                "with_charts_ours_ms_per_letter_cpu": round(with_chart / len(few) * 1000, 1),
                "with_charts_naive_ms_per_letter_cpu": round(naive_chart / len(few) * 1000, 1),
                "with_charts_speedup_cpu": round(naive_chart / with_chart, 1),
            }
        )
    if differing:
        print(f"WARNING: {differing} of {checked} letters differ between ours and naive docxtpl", file=sys.stderr)
    return figures


if __name__ == "__main__":
    emit(main(), "--json" in sys.argv[1:])
