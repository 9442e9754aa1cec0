"""Benchmark ``assess`` on a synthetic province: N units × M indicators, mixed methods, 5 categories.

    python scripts/bench_assess.py [--units 10000] [--indicators 200] [--repeat 3] [--json]

Prints the best wall time of ``assess`` on data already in memory, the peak memory
that ``assess`` allocates (tracemalloc, run separately so tracing does not slow the timing),
and, for scale, a naive per-cell Python loop over the same ratio rule on a sample.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from perf_excel import assess
from perf_excel.core.build import parse_bands
from perf_excel.core.dataset import Dataset
from perf_excel.core.model import Adjustment, Indicator, Scheme, Settings, Unit, Veto

CATEGORIES = ("县市区", "市直部门", "国有企业", "事业单位", "开发区")
BANDS = parse_bands(">=95:1; >=90:0.8; >=80:0.6; else:0.2")


def make_case(n_units: int, n_indicators: int, seed: int = 7) -> tuple[Scheme, Dataset]:
    """A scheme whose 200 indicators cycle through the methods, and random plausible data."""
    rng = np.random.default_rng(seed)
    indicators = []
    points = 100 / n_indicators
    cycle = ("ratio", "efficacy", "band", "ratio", "linear", "deduct", "rank", "pass", "step", "manual")
    for j in range(n_indicators):
        method = cycle[j % len(cycle)]
        kw: dict = {}
        if method in ("ratio", "pass", "step"):
            kw["target"] = 100.0
        if method == "step":
            kw.update(step=1.0, step_bound=points / 2)
        if method == "efficacy":
            kw["standards"] = (120.0, 105.0, 95.0, 80.0, 60.0)
        if method == "band":
            kw["bands"] = BANDS
        if method == "linear":
            kw.update(floor=60.0, target=100.0)
        if method == "deduct":
            kw["per_item"] = points / 4
        if method == "rank":
            kw["step"] = 0.01
        cats = () if j % 4 else (CATEGORIES[j % 5],)
        indicators.append(Indicator(f"I{j:03d}", f"指标{j}", f"维度{j % 5}", points, method, categories=cats, **kw))
    units = tuple(Unit(f"U{i:05d}", f"单位{i}", CATEGORIES[i % 5]) for i in range(n_units))
    values = rng.normal(95, 12, size=(n_units, n_indicators))
    for j, ind in enumerate(indicators):
        if ind.method == "deduct":
            values[:, j] = rng.integers(0, 5, n_units)
        if ind.method == "manual":
            values[:, j] = rng.uniform(0, points, n_units)
    frame = pd.DataFrame(values, index=[u.code for u in units], columns=[i.code for i in indicators])
    na = pd.DataFrame(rng.random(frame.shape) < 0.002, index=frame.index, columns=frame.columns)
    frame = frame.mask(na)
    adjustments = tuple(Adjustment(units[i].code, "加分", 1.5) for i in range(0, n_units, 97))
    vetoes = tuple(Veto(units[i].code, "安全生产") for i in range(0, n_units, 211))
    settings = Settings(excellent_ratio=0.2, bonus_cap=3, penalty_cap=5)
    scheme = Scheme(settings, tuple(indicators), units, adjustments, vetoes)
    return scheme, Dataset(values=frame, not_applicable=na)


def naive_ratio_loop(frame: pd.DataFrame, target: float, points: float) -> list[list[float]]:
    """What a hand-written per-cell loop does: one Python call per cell."""
    out = []
    for row in frame.itertuples(index=False):
        out.append([min(v / target * points, points) if v == v else 0.0 for v in row])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, default=10_000)
    p.add_argument("--indicators", type=int, default=200)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    scheme, data = make_case(args.units, args.indicators)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        results = assess(scheme, data)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    assess(scheme, data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t0 = time.perf_counter()
    naive_ratio_loop(data.values, 100.0, 0.5)
    naive = time.perf_counter() - t0
    figures = {
        "units": args.units,
        "indicators": args.indicators,
        "assess_best_s": round(min(times), 4),
        "assess_peak_mib": round(peak / 2**20, 1),
        "naive_loop_ratio_only_s": round(naive, 4),
        "speedup_vs_naive_loop": round(naive / min(times), 1),
        "graded_excellent": int((results.table["grade"] == "优秀").sum()),
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for k, v in figures.items():
            print(f"{k:>26}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
