"""Timing many feedback letters: prepared template (render many) against a new DocxTemplate per letter.

For the benchmark scripts::

    from bench_letters_api import bench_letters
    bench_letters(200)   # {'prepared_ms': ..., 'naive_ms': ..., 'ratio': ..., 'render_ratio': ...}
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path
from typing import Any

from perf_excel.documents.context import LetterContexts
from perf_excel.documents.engine import PreparedTemplate, load_template, render_docx
from perf_excel.documents.env import make_env
from perf_excel.documents.letters import render_letters, render_letters_naive
from perf_excel.documents.samples import many_units_results

__all__ = ["bench_letters"]


def bench_letters(n: int = 200, charts: bool = False, template: str | Path | None = None) -> dict[str, Any]:
    """Milliseconds per letter for ``n`` synthetic units, both ways, end to end and render only.

    End to end: contexts, (charts,) rendering and writing each file. Render only: the contexts are
    built beforehand, and each letter is rendered to bytes in memory.
    """
    results = many_units_results(n)
    units = results.units
    out: dict[str, Any] = {"letters": n, "charts": charts}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        render_letters(results, Path(tmp) / "prepared", template=template, charts=charts)
        t1 = time.perf_counter()
        render_letters_naive(results, Path(tmp) / "naive", template=template, charts=charts)
        t2 = time.perf_counter()
    out["prepared_ms"] = (t1 - t0) / n * 1000
    out["naive_ms"] = (t2 - t1) / n * 1000
    out["ratio"] = out["naive_ms"] / out["prepared_ms"]

    name, data = load_template(template, "letter.docx")
    contexts = [LetterContexts(results).context(u) for u in units]
    env = make_env()
    t0 = time.perf_counter()
    prepared = PreparedTemplate(data, name, env)
    for ctx in contexts:
        prepared.render(ctx)
    t1 = time.perf_counter()
    for ctx in contexts:
        render_docx(name, data, ctx, io.BytesIO(), env)
    t2 = time.perf_counter()
    out["render_prepared_ms"] = (t1 - t0) / n * 1000
    out["render_naive_ms"] = (t2 - t1) / n * 1000
    out["render_ratio"] = out["render_naive_ms"] / out["render_prepared_ms"]
    return out
