"""Benchmark 1: ``perf-excel score`` end to end versus the same rules as spreadsheet formulas in LibreOffice Calc.

    python scripts/bench_engine_vs_calc.py [--units 10000] [--indicators 200] [--repeat 3] [--no-lo] [--json]

Side by side, in one run, on the case of ``bench_workbooks.py`` (mixed 完成比例 / 功效系数 / 区间, 5 categories):

* ours, end to end: ``perf-excel score case.xlsx -o 结果.xlsx`` in a child process (start-up, read, check,
  assess, write the results workbook), best of ``--repeat``;
* LibreOffice: ``soffice --headless --convert-to csv`` of the clerk's formula workbook (its first sheet is
  得分: 2 million formulas with no cached values, SUM per dimension, ROUND(SUM) totals, COUNTIFS ranks,
  the grade rule) in a private profile set to recalculate on load — load, recalculate, export;
* ``assess`` alone on the data in memory (best of 5);
* a naive per-cell Python loop over the same rules (an independent implementation).

Every unit's total, rank and grade are compared between ours, LibreOffice and the naive loop; the
figures report how many differ (the check fails loudly if any do).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from bench_util import Run, best_of, emit, lo_profile, perf_excel, run_child, soffice
from bench_workbooks import (
    BAND_ELSE,
    BANDS,
    COEFFICIENTS,
    EXCELLENT_RATIO,
    GRADES,
    STANDARDS,
    Case,
    make_bench_case,
    write_formula_workbook,
    write_input_workbook,
)

CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1"


def case_files(case: Case, folder: Path) -> tuple[Path, Path]:
    """The input and formula workbooks of ``case`` (generated once per size, then reused)."""
    key = f"{len(case.codes)}x{len(case.indicator_codes)}"
    inp, formulas = folder / f"case_{key}.xlsx", folder / f"formulas_{key}.xlsx"
    if not inp.exists():
        write_input_workbook(case, inp)
    if not formulas.exists():
        write_formula_workbook(case, formulas)
    return inp, formulas


# -- the naive loop: one Python call per cell --------------------------------------------------------


def _round2(x: float) -> float:
    return float(Decimal(repr(x)).quantize(Decimal("1e-10"), ROUND_HALF_UP).quantize(Decimal("0.01"), ROUND_HALF_UP))


def naive_cell(method: str, x: float, target: float, p: float) -> float:
    if method == "完成比例":
        return min(max(x / target * p, 0.0), p)
    if method == "功效系数":
        if x >= STANDARDS[0]:
            return p
        for k in range(1, len(STANDARDS)):
            if x >= STANDARDS[k]:
                lo, hi = STANDARDS[k], STANDARDS[k - 1]
                return p * COEFFICIENTS[k] + (x - lo) / (hi - lo) * p * (COEFFICIENTS[k - 1] - COEFFICIENTS[k])
        return 0.0
    for threshold, fraction in BANDS:
        if x >= threshold:
            return fraction * p
    return BAND_ELSE * p


def naive_assess(case: Case) -> dict[str, tuple[float, int, str]]:
    """Totals, 1224 ranks within category and grades with the 优秀 quota, cell by cell in Python."""
    totals = []
    for row in case.values.tolist():
        s = 0.0
        for j, x in enumerate(row):
            s += naive_cell(case.methods[j], x, case.targets[j], case.points)
        totals.append(_round2(s))
    by_cat: dict[str, list[int]] = {}
    for i, cat in enumerate(case.categories):
        by_cat.setdefault(cat, []).append(i)
    ranks = [0] * len(totals)
    quota = {}
    for cat, members in by_cat.items():
        ordered = sorted(members, key=lambda i: -totals[i])
        for pos, i in enumerate(ordered):
            prev = ordered[pos - 1] if pos else None
            ranks[i] = ranks[prev] if prev is not None and totals[prev] == totals[i] else pos + 1
        quota[cat] = int(len(members) * EXCELLENT_RATIO + 1e-9)
    out = {}
    (top, top_t), *rest = GRADES
    for i, code in enumerate(case.codes):
        t = totals[i]
        if t >= top_t and ranks[i] <= quota[case.categories[i]]:
            grade = top
        else:
            grade = next(g for g, thr in rest if t >= thr)
        out[code] = (t, ranks[i], grade)
    return out


# -- reading what each side produced ------------------------------------------------------------------


def ours_results(path: Path) -> dict[str, tuple[float, int, str]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        rows = wb.get_sheet_by_name("结果").to_python()
    finally:
        wb.close()
    h = rows[0]
    ti, ri, gi = h.index("总分"), h.index("类别排名"), h.index("等次")
    return {r[0]: (float(r[ti]), int(r[ri]), r[gi]) for r in rows[1:] if r[0]}


def lo_results(path: Path) -> dict[str, tuple[float, int, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    h = rows[0]
    ti, ri, gi = h.index("总分"), h.index("类别排名"), h.index("等次")
    return {r[0]: (float(r[ti]), int(float(r[ri])), r[gi]) for r in rows[1:] if r and r[0]}


def differences(a: dict, b: dict) -> int:
    return sum(1 for k in a if a[k] != b.get(k)) + len(set(b) - set(a))


def run_libreoffice(formulas: Path, out_dir: Path) -> tuple[Run, Path]:
    exe = soffice()
    assert exe
    profile = lo_profile(out_dir / "lo-profile")
    cmd = [exe, "--headless", "--norestore", f"-env:UserInstallation={profile}"]
    # The first start of a new profile sets it up; that is not the spreadsheet's work.
    warm = out_dir / "warm"
    warm.mkdir(exist_ok=True)
    tiny = warm / "tiny.xlsx"
    if not tiny.exists():
        write_formula_workbook(make_bench_case(10, 5), tiny)
    run_child([*cmd, "--convert-to", CSV_FILTER, "--outdir", str(warm), str(tiny)]).check("soffice warm-up")
    target = out_dir / (formulas.stem + ".csv")
    target.unlink(missing_ok=True)
    run = run_child([*cmd, "--convert-to", CSV_FILTER, "--outdir", str(out_dir), str(formulas)]).check("soffice")
    if not target.exists():
        raise RuntimeError(f"soffice wrote no {target.name}:\n{run.stdout}\n{run.stderr}")
    return run, target


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--indicators", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3, help="runs of perf-excel score (best is kept)")
    ap.add_argument("--dir", default="out/bench", help="where the workbooks are generated and kept")
    ap.add_argument("--no-lo", action="store_true", help="skip LibreOffice")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    case = make_bench_case(args.units, args.indicators)
    inp, formulas = case_files(case, folder)

    from perf_excel.core.assess import assess
    from perf_excel.xlsx.reader import read_workbook

    scheme, dataset, _ = read_workbook(inp)
    assess_wall = best_of(lambda: assess(scheme, dataset), 5)
    c0 = time.process_time()
    assess(scheme, dataset)
    assess_cpu = time.process_time() - c0

    t0 = time.perf_counter()
    naive = naive_assess(case)
    naive_wall = time.perf_counter() - t0

    out = folder / f"结果_{inp.stem}.xlsx"
    runs = [run_child([*perf_excel(), "score", str(inp), "-o", str(out)]).check("perf-excel score")]
    runs += [run_child([*perf_excel(), "score", str(inp), "-o", str(out)]) for _ in range(args.repeat - 1)]
    ours = min(runs, key=lambda r: r.wall)
    mine = ours_results(out)

    figures: dict = {
        "units": args.units,
        "indicators": args.indicators,
        "formulas": args.units * args.indicators,
        "ours_score_e2e_wall_s": round(ours.wall, 2),
        "ours_score_e2e_cpu_s": round(ours.cpu, 2),
        "ours_score_peak_rss_mib": round(ours.max_rss_mib),
        "assess_in_memory_wall_s": round(assess_wall, 3),
        "assess_in_memory_cpu_s": round(assess_cpu, 3),
        "naive_python_loop_s": round(naive_wall, 2),
        "assess_vs_naive_loop": round(naive_wall / assess_wall, 1),
        "units_differing_naive_vs_ours": differences(mine, naive),
    }
    if args.no_lo or not soffice():
        figures["libreoffice"] = "skipped" if args.no_lo else "soffice not found"
    else:
        lo, csv_path = run_libreoffice(formulas, folder)
        theirs = lo_results(csv_path)
        figures.update(
            {
                "libreoffice_wall_s": round(lo.wall, 2),
                "libreoffice_cpu_s": round(lo.cpu, 2),
                "libreoffice_peak_rss_mib": round(lo.max_rss_mib),
                "e2e_speedup_wall": round(lo.wall / ours.wall, 1),
                "e2e_speedup_cpu": round(lo.cpu / ours.cpu, 1),
                "units_compared": len(theirs),
                "units_differing_lo_vs_ours": differences(mine, theirs),
            }
        )
    figures["goal_e2e_5x"] = figures.get("e2e_speedup_wall", 0) >= 5
    figures["goal_assess_0.3s"] = assess_wall <= 0.3
    bad = figures["units_differing_naive_vs_ours"] or figures.get("units_differing_lo_vs_ours", 0)
    if bad:
        print(f"WARNING: results differ for {bad} units", file=sys.stderr)
    return figures


if __name__ == "__main__":
    ap_json = "--json" in sys.argv[1:]
    emit(main(), ap_json)
