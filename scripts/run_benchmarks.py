"""Run the six benchmarks side by side and record the figures (``make bench``).

    python scripts/run_benchmarks.py [--only 1,3] [--quick] [--dir out/bench] [--write-doc docs/BENCHMARKS.md]

Each benchmark runs in its own process (``scripts/bench_*.py --json``), one after the other, so none
inherits another's memory or warm caches. The figures go to ``DIR/results.json`` and, with
``--write-doc``, replace the generated section of docs/BENCHMARKS.md (between the ``figures`` markers)
with the machine, the date, the command, the load of the machine, and a table per benchmark.
``--quick`` runs every benchmark at a tiny size (a minute or so), to check that they all still work.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bench_util import ROOT, machine

SCRIPTS = Path(__file__).resolve().parent
START, END = "<!-- figures:start -->", "<!-- figures:end -->"

#: number → (script, title, full-size arguments, quick arguments)
BENCHMARKS: dict[int, tuple[str, str, list[str], list[str]]] = {
    1: (
        "bench_engine_vs_calc.py",
        "Engine vs spreadsheet formulas (LibreOffice Calc)",
        ["--units", "10000", "--indicators", "200", "--repeat", "3"],
        ["--units", "200", "--indicators", "20", "--repeat", "1"],
    ),
    2: (
        "bench_reading.py",
        "Reading the workbook",
        ["--units", "10000", "--indicators", "200", "--repeat", "3"],
        ["--units", "200", "--indicators", "20", "--repeat", "1"],
    ),
    3: (
        "bench_letters.py",
        "Feedback letters",
        ["--letters", "1000", "--indicators", "40", "--naive-sample", "100", "--chart-sample", "20", "--repeat", "3"],
        ["--letters", "30", "--indicators", "10", "--naive-sample", "10", "--chart-sample", "3"],
    ),
    4: (
        "bench_batch.py",
        "Batch, --jobs 1 vs --jobs 2",
        ["--workbooks", "20", "--units", "30", "--indicators", "30"],
        ["--workbooks", "4", "--units", "10", "--indicators", "10", "--control-size", "100000"],
    ),
    5: (
        "bench_memory.py",
        "Peak memory",
        ["--units", "10000", "--indicators", "200", "--letters", "200"],
        ["--units", "200", "--indicators", "20", "--letters", "5"],
    ),
    6: (
        "bench_growth.py",
        "Growth of assess with the number of units",
        ["--sizes", "1000,10000,100000", "--indicators", "200", "--repeat", "3"],
        ["--sizes", "100,1000", "--indicators", "20", "--repeat", "1"],
    ),
}

#: Per benchmark: (figure key, label, goal text) rows of its table; other keys are listed after.
GOALS: dict[int, list[tuple[str, str]]] = {
    1: [("e2e_speedup_wall", "≥ 5× (end to end, wall)"), ("assess_in_memory_wall_s", "≤ 0.3 s")],
    2: [("read_workbook_vs_calamine", "≤ 1.3× calamine raw")],
    3: [("speedup", "≥ 10× naive docxtpl")],
    4: [("speedup", "≥ 1.8×")],
    5: [("goal_under_1GiB", "every peak < 1 GiB")],
    6: [("ratio_10000_vs_1000", "≈ 10 (linear)"), ("ratio_100000_vs_10000", "≈ 10 (linear)")],
}


def run_one(number: int, folder: Path, quick: bool) -> dict:
    script, title, full, small = BENCHMARKS[number]
    cmd = [sys.executable, str(SCRIPTS / script), *(small if quick else full), "--dir", str(folder), "--json"]
    if number == 6:
        cmd.remove("--dir")
        cmd.remove(str(folder))
    print(f"[{number}] {title}: {shlex.join(cmd[1:])}", file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - t0
    entry: dict = {
        "title": title,
        "command": "python scripts/" + shlex.join([script, *(small if quick else full)]),
        "seconds": round(took, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    if proc.returncode != 0:
        entry["error"] = (proc.stderr or proc.stdout)[-3000:]
        print(f"[{number}] FAILED:\n{entry['error']}", file=sys.stderr)
        return entry
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    entry["figures"] = json.loads(lines[-1])
    if proc.stderr.strip():
        entry["stderr"] = proc.stderr[-1000:]
    print(f"[{number}] done in {took:.0f} s", file=sys.stderr, flush=True)
    return entry


def _verdict(figures: dict) -> str:
    goals = {k: v for k, v in figures.items() if k.startswith("goal_")}
    if not goals:
        return ""
    return "; ".join(f"{k[5:]}: {'met' if v else '**missed**'}" for k, v in goals.items())


def render_markdown(run: dict) -> str:
    """The generated section of docs/BENCHMARKS.md."""
    m = run["machine"]
    out = [
        START,
        "",
        f"Measured {run['date']} with `{run['command']}` ({run['total_seconds']:.0f} s in all).",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} memory, Python {m['python']}, "
        f"{m.get('libreoffice') or 'no LibreOffice'}, {m['os']}. Load average before the run: "
        f"{', '.join(str(x) for x in m['load_average'])}.",
        "",
    ]
    for number, entry in sorted(run["benchmarks"].items(), key=lambda kv: int(kv[0])):
        out.append(f"### {number}. {entry['title']}")
        out.append("")
        out.append(
            f"`{entry['command']}` — {entry['seconds']} s; load average {entry['load_before']} before, "
            f"{entry['load_after']} after."
        )
        out.append("")
        if "error" in entry:
            out += ["Failed:", "", "```", entry["error"].strip(), "```", ""]
            continue
        figures = entry["figures"]
        goals = dict(GOALS.get(int(number), []))
        out += ["| figure | value | goal |", "|---|---|---|"]
        for key, value in figures.items():
            if key.startswith("goal_"):
                continue
            shown = value if not isinstance(value, bool) else ("yes" if value else "no")
            out.append(f"| {key} | {shown} | {goals.get(key, '')} |")
        verdict = _verdict(figures)
        if verdict:
            out += ["", f"Goals: {verdict}."]
        out.append("")
    out.append(END)
    return "\n".join(out)


def write_doc(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="benchmark numbers to run, e.g. 1,3 (default: all six)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: check that every benchmark still runs")
    ap.add_argument("--dir", default="out/bench", help="working folder for generated workbooks and outputs")
    ap.add_argument("--write-doc", metavar="MD", help="replace the figures section of this Markdown file")
    args = ap.parse_args(argv)
    numbers = [int(n) for n in args.only.split(",")] if args.only else sorted(BENCHMARKS)
    folder = Path(args.dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    command = "python scripts/run_benchmarks.py" + (" " + shlex.join(argv) if argv else "")
    if argv is None:
        command = "python scripts/run_benchmarks.py" + (" " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "")
    run: dict = {
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": command,
        "machine": machine(),
        "benchmarks": {},
    }
    t0 = time.perf_counter()
    for n in numbers:
        run["benchmarks"][str(n)] = run_one(n, folder, args.quick)
    run["total_seconds"] = round(time.perf_counter() - t0, 1)
    (folder / "results.json").write_text(json.dumps(run, ensure_ascii=False, indent=2), encoding="utf-8")
    section = render_markdown(run)
    print(section)
    if args.write_doc:
        write_doc(Path(args.write_doc), section)
        print(f"figures written to {args.write_doc}", file=sys.stderr)
    return 1 if any("error" in e for e in run["benchmarks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
