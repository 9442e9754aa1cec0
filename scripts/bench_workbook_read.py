"""Time reading a large workbook: python-calamine alone versus perf_excel's reader plus all checks.

    python scripts/bench_workbook_read.py [--units 10000] [--indicators 200] [--path /tmp/big.xlsx]

The workbook is generated once (openpyxl, write-only) and reused if it exists.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from openpyxl import Workbook


def make_big_workbook(path: Path, n_units: int, n_ind: int) -> None:
    rng = random.Random(1)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("设置")
    ws.append(["项目", "值"])
    ws.append(["考核名称", "大型测试"])
    ws.append(["满分", n_ind])
    ws = wb.create_sheet("指标")
    ws.append(["编码", "维度", "指标名称", "分值", "计分方法", "目标值"])
    for k in range(n_ind):
        ws.append([f"I{k:03d}", f"维度{k % 5}", f"指标{k}", 1, "完成比例", 100])
    ws = wb.create_sheet("单位")
    ws.append(["编码", "名称", "类别"])
    for u in range(n_units):
        ws.append([f"U{u:05d}", f"单位{u}", f"类别{u % 4}"])
    ws = wb.create_sheet("数据")
    ws.append(["单位编码", *[f"I{k:03d}" for k in range(n_ind)]])
    for u in range(n_units):
        ws.append([f"U{u:05d}", *[round(rng.uniform(50, 120), 2) for _ in range(n_ind)]])
    wb.save(path)


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--indicators", type=int, default=200)
    ap.add_argument("--path", default="/tmp/perf_excel_big.xlsx")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    path = Path(args.path)
    if not path.exists():
        t0 = time.perf_counter()
        make_big_workbook(path, args.units, args.indicators)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s")

    from python_calamine import CalamineWorkbook

    from perf_excel.xlsx.reader import read_workbook

    def calamine_only() -> None:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        wb.close()

    def ours() -> None:
        read_workbook(path)

    base = best_of(calamine_only, args.repeat)
    full = best_of(ours, args.repeat)
    print(f"calamine to_python, all sheets: {base:.2f} s")
    print(f"read_workbook (read + checks):  {full:.2f} s  ratio {full / base:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
