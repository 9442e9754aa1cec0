"""Helpers shared by the benchmark scripts: timing a child process, best-of-N, the machine."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: LibreOffice always recalculates .xlsx formulas on load in the benchmark's own profile.
_LO_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


@dataclass
class Run:
    """One child process: wall time, CPU time (user + system, its waited-for children included), peak RSS."""

    wall: float
    cpu: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str

    def check(self, what: str) -> Run:
        if self.returncode != 0:
            raise RuntimeError(f"{what} failed ({self.returncode}):\n{self.stderr[-2000:]}")
        return self


def run_child(cmd: Sequence[str], cwd: Path | None = None, env: dict | None = None) -> Run:
    """Run ``cmd`` and measure it with ``os.wait4`` (this child's own rusage, not a running maximum)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            max_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The best wall time of ``repeat`` calls (the least disturbed by other work on the machine)."""
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def perf_excel() -> list[str]:
    """The perf-excel command of this interpreter's environment."""
    exe = BIN / "perf-excel"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "perf_excel.cli"]


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def lo_profile(path: Path) -> str:
    """A private LibreOffice profile that recalculates on load; returns its -env:UserInstallation URL."""
    user = path / "user"
    user.mkdir(parents=True, exist_ok=True)
    reg = user / "registrymodifications.xcu"
    if not reg.exists():
        reg.write_text(_LO_REGISTRY, encoding="utf-8")
    return path.resolve().as_uri()


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    lo = ""
    exe = soffice()
    if exe:
        try:
            lo = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            lo = "?"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "memory": mem,
        "python": platform.python_version(),
        "os": platform.platform(),
        "libreoffice": lo,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def emit(figures: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    for key, value in figures.items():
        print(f"{key:>34}: {value}")
