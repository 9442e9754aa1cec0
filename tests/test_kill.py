"""Nothing lost: SIGKILL in the middle of ``score --write-back`` and of ``batch``, at random moments.

After each kill the source workbook is the old one or the new one and opens; a backup that
exists is a complete copy of the old one (and exists whenever the new one is in place);
every output is complete or absent. Two batches on one output folder: the second is told.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL and killpg are POSIX")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"
KILLS = 15
TMP_MARKS = (".tmp", ".perf-tmp-")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "perf_excel.cli", *args]


def _opens(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def _sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        return list(wb.sheet_names)
    finally:
        wb.close()


def _timed_run(argv: list[str]) -> float:
    start = time.monotonic()
    subprocess.run(argv, check=True, capture_output=True)
    return time.monotonic() - start


def _kill_at(argv: list[str], delay: float, watch: Path | None = None, pattern: str = "*") -> int | None:
    """Run ``argv`` and SIGKILL its process group ``delay`` seconds after start, or, with ``watch``,
    ``delay`` seconds after a file matching ``pattern`` first appears below ``watch`` (the moment
    writing begins). Returns the exit code if it finished first, else None."""
    proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if watch is not None:
            while proc.poll() is None and not any(watch.rglob(pattern)):
                time.sleep(0.005)
        proc.wait(timeout=delay)
        return proc.returncode  # finished before the kill
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def test_write_back_killed_at_random_moments(tmp_path: Path) -> None:
    old = DEMO.read_bytes()
    book = tmp_path / "考核表.xlsx"
    book.write_bytes(old)
    argv = _cli("score", str(book), "--write-back")
    duration = _timed_run(argv)
    new = book.read_bytes()
    assert new != old and "结果" in _sheet_names(book)
    rnd = random.Random(10)
    outcomes = {"old": 0, "new": 0}
    for k in range(KILLS):
        for p in tmp_path.iterdir():
            p.unlink()
        book.write_bytes(old)
        # Most of a run is starting Python: every other kill waits for the temporary file to appear.
        if k % 2:
            _kill_at(argv, rnd.uniform(0.0, 0.03), watch=tmp_path, pattern=".*.tmp")
        else:
            _kill_at(argv, rnd.uniform(0.5, 1.0) * duration)
        assert _opens(book), f"kill {k}: the workbook does not open"
        current = book.read_bytes()
        backup = book.with_name(book.name + ".bak")
        if current == old:
            outcomes["old"] += 1
        else:
            outcomes["new"] += 1
            assert "结果" in _sheet_names(book) and "计分明细" in _sheet_names(book), f"kill {k}"
            assert backup.exists(), f"kill {k}: new workbook in place but no backup"
        if backup.exists():
            assert backup.read_bytes() == old, f"kill {k}: the backup is not the old workbook"
        others = [p.name for p in tmp_path.iterdir() if p not in (book, backup)]
        assert all(n.startswith(".") and n.endswith(".tmp") for n in others), others
    print(f"write-back kills: {outcomes}")
    assert outcomes["old"] + outcomes["new"] == KILLS


def _complete(path: Path) -> bool:
    if path.suffix in (".xlsx", ".docx"):
        return _opens(path)
    if path.suffix == ".json":
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return False
    return True


def test_batch_killed_at_random_moments(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        shutil.copy(DEMO, src / f"单位{i}.xlsx")
    out = tmp_path / "out"
    argv = _cli("batch", str(src), "-o", str(out), "--jobs", "1", "-q", "--force")
    rnd = random.Random(20)
    finished = 0
    for k in range(KILLS):
        # Every other kill comes just after the batch begins committing outputs (temporary files appear).
        if k % 2:
            code = _kill_at(argv, rnd.uniform(0.0, 0.3), watch=tmp_path, pattern="*.perf-tmp-*")
        else:
            code = _kill_at(argv, rnd.uniform(0.3, 2.0))
        finished += code is not None
        for path in out.rglob("*"):
            if not path.is_file() or ".perf-excel-batch" in path.parts or any(m in path.name for m in TMP_MARKS):
                continue
            assert _complete(path), f"kill {k}: {path.relative_to(out)} is incomplete"
    # A run after the kills completes everything and leaves no temporaries.
    result = subprocess.run(_cli("batch", str(src), "-o", str(out), "--jobs", "2", "-q"), capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads((out / "batch-summary.json").read_text(encoding="utf-8"))
    assert len(summary["files"]) == 2
    assert all(f["status"] in ("ok", "unchanged") for f in summary["files"]), summary["files"]
    assert not [p for p in out.rglob("*") if ".perf-tmp-" in p.name]
    for i in range(2):
        assert _opens(out / f"单位{i}" / "结果.xlsx")
    print(f"batch kills: {KILLS - finished} mid-run, {finished} finished first")


def test_second_batch_on_the_same_folder_is_told(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        shutil.copy(DEMO, src / f"w{i}.xlsx")
    out = tmp_path / "out"
    first = subprocess.Popen(
        _cli("batch", str(src), "-o", str(out), "--jobs", "1", "-q"), start_new_session=True, stderr=subprocess.PIPE
    )
    try:
        lock = out / ".perf-excel-batch" / "lock"
        deadline = time.monotonic() + 60
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        second = subprocess.run(_cli("batch", str(src), "-o", str(out), "--jobs", "1", "-q"), capture_output=True)
        assert first.poll() is None, "the first batch ended before the second started; make it longer"
        assert second.returncode != 0
        assert "正被另一个批量任务使用" in second.stderr.decode()
        assert first.wait(timeout=120) == 0
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    for path in out.rglob("*.xlsx"):
        assert _opens(path), path
