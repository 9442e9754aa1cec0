"""The documents: bulletin (通报) and feedback letters (反馈单) from assessment results."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perf_excel.core.assess import Results
from perf_excel.core.errors import OutputError
from perf_excel.documents.chart import ChartMaker
from perf_excel.documents.context import LetterContexts, bulletin_context
from perf_excel.documents.engine import PreparedTemplate, image_factory_for, load_template, render_docx, write_bytes
from perf_excel.documents.env import make_env
from perf_excel.files.outputs import UniqueNames, safe_name

if TYPE_CHECKING:
    from perf_excel.core.anomalies import Anomaly

__all__ = [
    "LetterRun",
    "bulletin_bytes",
    "letter_filename",
    "render_bulletin",
    "render_letters",
    "render_letters_naive",
]

#: Width of the letter's chart in the page, mm (the text block is 156 mm).
CHART_WIDTH_MM = 130


def letter_filename(results: Results, unit: str, names: UniqueNames | None = None) -> str:
    """The letter's file name: ``编码_名称_反馈单.docx``, made safe (and, with ``names``, unique in its folder)."""
    base = f"{unit}_{results.table.at[unit, 'name']}_反馈单"
    return names.claim(base, ".docx", key=unit) if names is not None else safe_name(base, ".docx")


def _check_letters(out_dir: Path, units: Sequence[str], files: Sequence[Path]) -> None:
    """One file per unit, all different: a name two units shared would lose a letter without a word."""
    distinct = {p.name.casefold() for p in files if p.is_file()}
    if len(files) != len(units) or len(distinct) != len(units):
        raise OutputError(
            f"{out_dir}：内部错误：{len(units)} 个单位只写出了 {len(distinct)} 份不同的反馈单，请将此工作簿反馈给维护人员"
        )


def render_bulletin(
    results: Results,
    out: str | Path,
    template: str | Path | None = None,
    anomalies: Sequence[Anomaly] | None = None,
) -> Path:
    """Write the bulletin (通报) .docx to ``out`` (a file or a folder) and return its path.

    ``anomalies`` (数据异动预警), when there are any, are listed in the last attachment.
    """
    out = Path(out)
    if out.is_dir() or not out.suffix:
        title = results.scheme.settings.title or "绩效考核"
        out = out / safe_name(f"{title}结果通报", ".docx")
    return write_bytes(out, bulletin_bytes(results, template, anomalies))


def bulletin_bytes(
    results: Results,
    template: str | Path | None = None,
    anomalies: Sequence[Anomaly] | None = None,
) -> bytes:
    """The bulletin (通报) as the bytes of a .docx file.

    The built-in template is rendered through :class:`PreparedTemplate`: the same parts (after
    canonicalisation, see tests/golden) as docxtpl, without docxtpl's re-parsing and tree
    replacement, whose cost grows faster than the number of units (a province: 100,000 rows).
    A user's template goes through docxtpl (:func:`render_docx`), whose ``fix_tables`` also
    repairs the grid of tables that a ``{%tc%}`` loop without flexible cells widened;
    :class:`PreparedTemplate` does not (yet).
    """
    name, data = load_template(template, "bulletin.docx")
    context = bulletin_context(results, anomalies)
    if template is None:
        return _utf8_parts(PreparedTemplate(data, name, make_env()).render(context))
    buf = io.BytesIO()
    render_docx(name, data, context, buf, make_env())
    return buf.getvalue()


_CHAR_REF = re.compile(rb"&#(x[0-9a-fA-F]+|[0-9]+);")


def _char(m: re.Match, cache: dict[bytes, bytes]) -> bytes:
    whole = m.group(0)
    char = cache.get(whole)
    if char is None:  # a few hundred distinct characters for millions of references
        ref = m.group(1)
        code = int(ref[1:], 16) if ref[:1] == b"x" else int(ref)
        char = cache[whole] = chr(code).encode("utf-8") if code >= 0x80 else whole
    return char


def _utf8_parts(docx: bytes) -> bytes:
    """``docx`` with the XML parts written as docxtpl writes them: non-ASCII text as UTF-8 characters.

    :class:`PreparedTemplate` serialises a body it had to re-parse (to fit ``{%tc%}`` columns) as ASCII,
    every Chinese character a ``&#20844;`` reference: the same XML after canonicalisation, but 1.5 times
    the size, and a search of the raw XML for a unit's name fails. Members are streamed in chunks (a
    province's body is hundreds of MB) and written back compressed (level 6, as python-docx does); a
    package without such references is returned as it is.
    """
    cache: dict[bytes, bytes] = {}

    def sub(m: re.Match) -> bytes:
        return _char(m, cache)

    changed = False
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as src,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out,
    ):
        for info in src.infolist():
            target = zipfile.ZipInfo(info.filename, info.date_time)
            target.compress_type = info.compress_type
            target.external_attr = info.external_attr
            if not info.filename.endswith(".xml"):
                out.writestr(target, src.read(info))
                continue
            with src.open(info) as r, out.open(target, "w") as w:
                carry = b""
                while chunk := r.read(1 << 22):
                    chunk = carry + chunk
                    # Keep a reference cut by the chunk's end for the next round.
                    cut = chunk.rfind(b"&", max(len(chunk) - 16, 0))
                    carry = b""
                    if cut != -1 and b";" not in chunk[cut:]:
                        chunk, carry = chunk[:cut], chunk[cut:]
                    fixed = _CHAR_REF.sub(sub, chunk) if b"&#" in chunk else chunk
                    changed = changed or fixed != chunk
                    w.write(fixed)
                w.write(carry)
    return buf.getvalue() if changed else docx


@dataclass
class LetterRun:
    """What :func:`render_letters` did: the files written and the warnings to show."""

    files: list[Path] = field(default_factory=list)
    merged: Path | None = None
    warnings: list[str] = field(default_factory=list)


def _chart_function(charts: bool, image: Callable[[bytes, float], Any], run: LetterRun) -> Callable | None:
    if not charts:
        return None
    maker = ChartMaker()
    if not maker.available:
        run.warnings.append("未找到中文字体（如 Noto Sans CJK、文泉驿、黑体、微软雅黑），反馈单不插入图表")
        return None
    return lambda ctx: image(maker.png(ctx["dimensions"]), CHART_WIDTH_MM)


def render_letters(
    results: Results,
    out_dir: str | Path,
    units: Sequence[str] | None = None,
    template: str | Path | None = None,
    charts: bool = True,
    merged: bool = False,
    separate: bool = True,
) -> LetterRun:
    """Write one feedback letter per unit into ``out_dir`` (and, with ``merged``, one file of all).

    The template is opened and compiled once (:class:`PreparedTemplate`); each letter only renders.
    """
    name, data = load_template(template, "letter.docx")
    prepared = PreparedTemplate(data, name, make_env())
    out_dir = Path(out_dir)
    _ensure_dir(out_dir)
    run = LetterRun()
    chart = _chart_function(charts, prepared.image, run)
    units = list(dict.fromkeys(units if units is not None else results.units))
    contexts = []
    builder = LetterContexts(results)
    names = UniqueNames()
    title = results.scheme.settings.title or "绩效考核"
    merged_name = names.claim(f"{title}反馈单（合订）", ".docx") if merged else ""
    for unit in units:
        ctx = builder.context(unit, chart)
        if separate:
            run.files.append(prepared.render_to(ctx, out_dir / letter_filename(results, unit, names)))
        if merged:
            contexts.append(ctx)
    if separate:
        _check_letters(out_dir, units, run.files)
    if merged:
        run.merged = write_bytes(out_dir / merged_name, prepared.render_merged(contexts))
    return run


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
    _ensure_dir(out_dir)
    run = LetterRun()
    env = make_env()
    maker = ChartMaker() if charts else None
    if maker is not None and not maker.available:
        run.warnings.append("未找到中文字体，反馈单不插入图表")
        maker = None
    builder = LetterContexts(results)
    names = UniqueNames()
    units = list(dict.fromkeys(units if units is not None else results.units))
    for unit in units:

        def context(tpl, unit=unit):
            image = image_factory_for(tpl)
            chart = (lambda ctx: image(maker.png(ctx["dimensions"]), CHART_WIDTH_MM)) if maker else None
            return builder.context(unit, chart)

        path = out_dir / letter_filename(results, unit, names)
        render_docx(name, data, context, path, env)
        run.files.append(path)
    _check_letters(out_dir, units, run.files)
    return run


def _ensure_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}：无法创建输出文件夹（{exc.strerror or exc}）") from None
