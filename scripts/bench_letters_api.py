"""Timing many feedback letters: prepared template (render many) against a new DocxTemplate per letter.

For the benchmark scripts::

    from bench_letters_api import bench_letters
    bench_letters(200)   # {'prepared_ms': ..., 'naive_ms': ..., 'ratio': ..., 'render_ratio': ...}

The baseline, :func:`render_letters_naive`, lives here, not in the package: it is what docxtpl's
users write, kept only to measure the prepared template against.
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from perf_excel.core.assess import Results
from perf_excel.documents.context import LetterContexts
from perf_excel.documents.docxtpl_render import render_docx
from perf_excel.documents.env import make_env
from perf_excel.documents.letters import LetterRun, chart_function, check_letters, letter_filename, render_letters
from perf_excel.documents.output import ensure_dir
from perf_excel.documents.parts import Picture
from perf_excel.documents.prepared import PreparedTemplate
from perf_excel.documents.samples import many_units_results
from perf_excel.documents.templates import load_template
from perf_excel.files.outputs import UniqueNames

__all__ = ["bench_letters", "render_letters_naive"]


def render_letters_naive(
    results: Results,
    out_dir: str | Path,
    units: Sequence[str] | None = None,
    template: str | Path | None = None,
    charts: bool = True,
) -> LetterRun:
    """The baseline: a new DocxTemplate per letter (docxtpl re-opens and re-parses the template each time)."""
    name, data = load_template(template, "letter.docx")
    out_dir = Path(out_dir)
    ensure_dir(out_dir)
    run = LetterRun()
    env = make_env()
    chart = chart_function(charts, Picture, run)
    builder = LetterContexts(results)
    names = UniqueNames()
    units = list(dict.fromkeys(units if units is not None else results.units))
    for unit in units:
        path = out_dir / letter_filename(results, unit, names)
        render_docx(name, data, builder.context(unit, chart), path, env)
        run.files.append(path)
    check_letters(out_dir, units, run.files)
    return run


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
