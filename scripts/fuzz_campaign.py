"""A long fuzz campaign: random damaged workbooks through check, score and report.

    .venv/bin/python scripts/fuzz_campaign.py --examples 10000 --minutes 60 --out out/fuzz

Each workbook is written, then run through ``perf-excel check``, ``score -o --json`` and
``report`` (in-process, as the command line runs them). A failure is anything but a clean
exit code 0/1 with the file named in the message (see ``tests/fuzz_workbooks.py``). Distinct
failures are kept as workbooks under ``--out`` with ``campaign.json`` (count reached, time,
exit-code statistics, failures); the run stops at the example count or the time budget.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fuzz_workbooks import run_commands, workbooks  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402


class _Budget(Exception):
    """Raised inside the property when the time budget is spent (ends the campaign)."""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=10_000)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--out", default="out/fuzz")
    ap.add_argument("--report-every", type=int, default=1, help="run report on every n-th workbook that scores")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    start = time.monotonic()
    deadline = start + args.minutes * 60
    stats: dict[str, int] = {}
    failures: dict[str, dict] = {}
    count = 0

    def save() -> None:
        summary = {
            "examples": count,
            "seconds": round(time.monotonic() - start, 1),
            "per_second": round(count / max(time.monotonic() - start, 1e-9), 2),
            "exit_codes": dict(sorted(stats.items())),
            "distinct_failures": len(failures),
            "failures": list(failures.values()),
        }
        (out / "campaign.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(workbooks())
    def campaign(sheets) -> None:
        nonlocal count
        if time.monotonic() > deadline:
            raise _Budget
        count += 1
        folder = work / f"w{count}"
        try:
            found = run_commands(sheets, folder, report=count % args.report_every == 0, stats=stats)
            for failure in found:
                key = failure.split(":")[0] + ":" + failure.split(":")[1][:80] if ":" in failure else failure
                if key not in failures:
                    kept = out / f"failure{len(failures) + 1}.xlsx"
                    shutil.copy(folder / "考核表.xlsx", kept)
                    failures[key] = {"failure": failure[:2000], "example": count, "workbook": kept.name}
                    print(f"[{count}] {failure[:300]}", flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if count % 100 == 0:
            save()
            print(f"{count} workbooks, {time.monotonic() - start:.0f} s, {len(failures)} distinct failures", flush=True)

    try:
        campaign()
    except _Budget:
        print("time budget spent", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        save()
    print(json.dumps({k: v for k, v in json.loads((out / "campaign.json").read_text()).items() if k != "failures"}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
