"""Benchmarks are scripts, not timed tests: run each at a tiny size so it does not rot."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def test_bench_assess_smoke(capsys, monkeypatch):
    monkeypatch.setattr(
        sys, "argv", ["bench_assess.py", "--units", "60", "--indicators", "20", "--repeat", "1", "--json"]
    )
    try:
        runpy.run_path(str(SCRIPTS / "bench_assess.py"), run_name="__main__")
    except SystemExit as exc:
        assert exc.code == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["units"] == 60 and figures["assess_best_s"] > 0
