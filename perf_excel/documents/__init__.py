"""Word documents (and the yearbook workbook): the only package that touches .docx, Jinja and matplotlib.

Public API::

    render_bulletin(results, out_dir_or_file, template=None) -> Path
    render_letters(results, out_dir, units=None, template=None, charts=True, merged=False) -> LetterRun
    render_yearbook(workbook_paths_or_results, out_dir) -> list[Path]
    to_pdf(paths, out_dir) -> list[Path]   # LibreOffice, with the shipped fontconfig aliases
    PreparedTemplate(data, name)           # prepare once, render many

Where things are: a template is loaded and checked in ``templates`` (file, package) and ``links``
(links to outside the package); it renders through ``prepared`` (many documents from one
template) or ``docxtpl_render`` (docxtpl itself), in the sandbox of ``env`` with the bounds of
``limits``; Jinja's errors are worded in ``template_errors``; ``parts`` and ``archive`` hold the
.docx pieces both renderers share. What a template sees is built in ``context``; the documents
are ``bulletin``, ``letters`` and ``yearbook`` (``chart`` draws a letter's chart); ``pdf``
converts; ``checks`` is ``templates check``.
"""

from __future__ import annotations

from perf_excel.documents.bulletin import render_bulletin
from perf_excel.documents.docxtpl_render import render_docx
from perf_excel.documents.env import make_env
from perf_excel.documents.letters import LetterRun, letter_filename, render_letters
from perf_excel.documents.pdf import to_pdf
from perf_excel.documents.prepared import PreparedTemplate
from perf_excel.documents.templates import TEMPLATE_DIR, load_template
from perf_excel.documents.yearbook import render_yearbook

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
    "render_yearbook",
    "to_pdf",
]
