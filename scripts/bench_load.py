"""Load test: 100,000 units × 50 indicators through ``score -o`` and ``report`` (bulletin, no letters).

    .venv/bin/python scripts/bench_load.py [--units 100000] [--indicators 50] [--out out/load]

Writes the workbook (raw XML, so that writing it is not what is measured), then runs each
command in its own process and reports wall time, CPU time (user + system: the figure that
does not depend on what else the machine is doing), peak resident memory (``wait4``'s
``ru_maxrss`` of that process) and whether the machine swapped (``/proc/vmstat`` pswpout).
Not a test: it takes minutes. The figures go into the README / issue note.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile_xlsx import Sheet, write_xlsx  # noqa: E402

METHODS = ["完成比例", "功效系数", "区间", "线性", "排名", "扣分", "定性", "达标", "直接", "完成比例"]
HEADER = [
    "编码",
    "维度",
    "指标名称",
    "分值",
    "计分方法",
    "目标值",
    "下限",
    "优秀值",
    "良好值",
    "平均值",
    "较低值",
    "较差值",
]
HEADER += ["区间", "每项扣分", "步长"]


def make_workbook(path: Path, n_units: int, n_ind: int, seed: int = 7) -> Path:
    rnd = random.Random(seed)
    points = 100 / n_ind
    indicators = [HEADER]
    kinds = []
    for k in range(n_ind):
        method = METHODS[k % len(METHODS)]
        kinds.append(method)
        row = {
            "编码": f"I{k:03d}",
            "维度": f"维度{k % 5 + 1}",
            "指标名称": f"指标{k}",
            "分值": points,
            "计分方法": method,
        }
        if method in ("完成比例", "达标", "线性"):
            row["目标值"] = 100
        if method == "线性":
            row["下限"] = 50
        if method == "功效系数":
            row.update({"优秀值": 120, "良好值": 105, "平均值": 95, "较低值": 80, "较差值": 60})
        if method == "区间":
            row["区间"] = ">=95:1; >=90:0.8; >=80:0.6; else:0"
        if method == "扣分":
            row["每项扣分"] = 0.5
        if method == "排名":
            row["步长"] = 0.001
        indicators.append([row.get(h, "") for h in HEADER])
    cats = ["县市区", "市直部门", "国有企业"]
    units = [["编码", "名称", "类别"]]
    data = [["单位编码", *(f"I{k:03d}" for k in range(n_ind))]]
    grades = ["优", "良", "中", "差"]
    for u in range(n_units):
        code = f"U{u:06d}"
        units.append([code, f"单位{u}", cats[u % 3]])
        values: list[object] = []
        for method in kinds:
            if method == "定性":
                values.append(grades[rnd.randrange(4)])
            elif method == "扣分":
                values.append(rnd.randrange(5))
            elif method == "直接":
                values.append(round(rnd.uniform(0, points), 2))
            else:
                values.append(round(rnd.uniform(40, 130), 2))
        data.append([code, *values])
    settings = [["项目", "值"], ["考核名称", "负载测试"], ["考核年度", 2025], ["优秀比例", "20%"]]
    return write_xlsx(
        path,
        [Sheet("设置", settings), Sheet("指标", indicators), Sheet("单位", units), Sheet("数据", data)],
    )


def _pswpout() -> int | None:
    try:
        for line in Path("/proc/vmstat").read_text().splitlines():
            if line.startswith("pswpout "):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run(argv: list[str]) -> dict:
    before = _pswpout()
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    seconds = time.monotonic() - start
    after = _pswpout()
    return {
        "command": " ".join(Path(a).name if "/" in a else a for a in argv[1:]),
        "exit": proc.returncode,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "swapped_pages": None if before is None or after is None else after - before,
        "stderr_tail": err[-400:],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--indicators", type=int, default=50)
    ap.add_argument("--out", default="out/load")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    exe = str(ROOT / ".venv" / "bin" / "perf-excel")
    t = time.monotonic()
    wb = make_workbook(out / f"load_{args.units}x{args.indicators}.xlsx", args.units, args.indicators)
    figures = {
        "units": args.units,
        "indicators": args.indicators,
        "workbook_mb": round(wb.stat().st_size / 2**20, 1),
        "write_workbook_seconds": round(time.monotonic() - t, 1),
        "runs": [],
    }
    for cmd in (
        [exe, "check", str(wb)],
        [exe, "score", str(wb), "-o", str(out / "结果.xlsx")],
        [exe, "report", str(wb), "-o", str(out / "report")],
    ):
        r = run(cmd)
        figures["runs"].append(r)
        print(json.dumps(r, ensure_ascii=False), flush=True)
    (out / "figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in figures.items() if k != "runs"}, ensure_ascii=False))
    return 0 if all(r["exit"] == 0 for r in figures["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
