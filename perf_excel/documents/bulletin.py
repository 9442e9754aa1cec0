"""The bulletin (通报): every unit's results in one document, from the built-in or a user's template."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from perf_excel.core.assess import Results
from perf_excel.documents.context import bulletin_context
from perf_excel.documents.docxtpl_render import render_docx
from perf_excel.documents.env import make_env
from perf_excel.documents.output import write_bytes
from perf_excel.documents.prepared import PreparedTemplate
from perf_excel.documents.templates import load_template
from perf_excel.files.outputs import safe_name

if TYPE_CHECKING:
    from perf_excel.core.anomalies import Anomaly

__all__ = ["bulletin_bytes", "render_bulletin"]


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
