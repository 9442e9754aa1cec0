"""Word documents (and the yearbook workbook): the only package that touches .docx, Jinja and matplotlib.

Public API::

    render_bulletin(results, out_dir_or_file, template=None) -> Path
    render_letters(results, out_dir, units=None, template=None, charts=True, merged=False) -> LetterRun
    render_letters_naive(...)              # the baseline: a new DocxTemplate per letter
    render_yearbook(workbook_paths_or_results, out_dir) -> list[Path]
    to_pdf(paths, out_dir) -> list[Path]   # LibreOffice, with the shipped fontconfig aliases
    PreparedTemplate(data, name)           # prepare once, render many
"""

from __future__ import annotations

from perf_excel.documents.engine import TEMPLATE_DIR, PreparedTemplate, load_template, render_docx
from perf_excel.documents.env import make_env
from perf_excel.documents.letters import (
    LetterRun,
    letter_filename,
    render_bulletin,
    render_letters,
    render_letters_naive,
)

__all__ = [
    "LetterRun",
    "PreparedTemplate",
    "TEMPLATE_DIR",
    "letter_filename",
    "load_template",
    "make_env",
    "render_bulletin",
    "render_docx",
    "render_letters",
    "render_letters_naive",
]
