"""Benchmark 6: how the time of ``assess`` grows with the number of units (1k, 10k, 100k).

    python scripts/bench_growth.py [--sizes 1000,10000,100000] [--indicators 200] [--repeat 3] [--json]

The case is ``bench_assess.make_case`` (all ten scoring methods cycling over the indicators, 5
categories, bonuses and vetoes), the data already in memory; best of ``--repeat`` per size. Linear
growth means each 10× more units costs about 10× the time: the figures give the ratio of each
size's time to the previous one, and the time per unit.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from functools import partial

from bench_assess import make_case
from bench_util import best_of, emit


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="unit counts, comma-separated")
    ap.add_argument("--indicators", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from perf_excel.core.assess import assess

    sizes = [int(s) for s in args.sizes.split(",")]
    figures: dict = {"indicators": args.indicators}
    previous = None
    for n in sizes:
        scheme, data = make_case(n, args.indicators)
        assess(scheme, data)  # warm-up (first-call costs are not growth)
        wall = best_of(partial(assess, scheme, data), args.repeat)
        c0 = time.process_time()
        assess(scheme, data)
        cpu = time.process_time() - c0
        figures[f"assess_{n}_s"] = round(wall, 4)
        figures[f"assess_{n}_cpu_s"] = round(cpu, 4)
        figures[f"assess_{n}_us_per_unit"] = round(wall / n * 1e6, 1)
        if previous is not None:
            pn, pt = previous
            figures[f"ratio_{n}_vs_{pn}"] = round(wall / pt, 1)
        previous = (n, wall)
        del scheme, data
        gc.collect()
    return figures


if __name__ == "__main__":
    emit(main(), "--json" in sys.argv[1:])
