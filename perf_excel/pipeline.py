"""One path from a workbook to its outputs: read → check → assess → anomalies → outputs.

``perf-excel score``, ``perf-excel report``, ``perf-excel batch`` and the Excel macros all go
through these functions, so a rule (which warnings carry the file name, which template a
设置 cell names, how the letters are laid out) holds for every one of them. Each step is a
small function a caller can stop after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf_excel.core.assess import Results, assess
from perf_excel.core.build import build_scheme
from perf_excel.core.errors import InputError, Problem
from perf_excel.core.tables import Table

__all__ = [
    "LETTERS_DIR",
    "PDF_DIR",
    "RESULTS_NAME",
    "Documents",
    "Templates",
    "assess_tables",
    "assess_workbook",
    "check",
    "find_anomalies",
    "read",
    "render_documents",
    "settings_template",
    "templates",
]

RESULTS_NAME = "结果.xlsx"
LETTERS_DIR = "反馈单"
PDF_DIR = "PDF"

#: 设置 entries that point a report at a custom template (relative to the workbook's folder).
TEMPLATE_SETTINGS = {"bulletin": ("通报模板",), "letter": ("反馈单模板",), "yearbook": ("年鉴模板",)}


# --------------------------------------------------------------------------- read, check, assess


def read(path: str | Path) -> dict[str, Table]:
    """The contract sheets of the workbook at ``path`` (checked as a package first)."""
    from perf_excel.xlsx.reader import read_tables

    return read_tables(path)


def check(tables: Mapping[str, Table], file: str = "") -> tuple[Any, Any, list[Problem]]:
    """Scheme, dataset and warnings built from ``tables``; :class:`InputError` with every error."""
    scheme, dataset, problems = build_scheme(tables, file=file)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise InputError(errors)
    return scheme, dataset, problems


def assess_tables(tables: Mapping[str, Table], file: str = "") -> tuple[Results, list[Problem]]:
    """Check and assess ``tables``: the results and every warning, each naming ``file``."""
    scheme, dataset, problems = check(tables, file)
    try:
        results = assess(scheme, dataset)
    except InputError as exc:
        raise (exc.with_file(file) if file else exc) from None
    warnings = [*problems, *results.warnings]
    return results, [p.with_file(file) for p in warnings] if file else warnings


def assess_workbook(path: str | Path) -> tuple[Results, dict[str, Table], list[Problem]]:
    """Read, check and assess a workbook: ``(results, tables, warnings)``.

    The sheets read are returned too, so that a caller needing more of them (a 历年 sheet
    for the anomaly warnings) does not read the workbook twice. Raises :class:`InputError`
    with every error, each naming the file.
    """
    path = Path(path)
    tables = read(path)
    results, warnings = assess_tables(tables, path.name)
    return results, tables, warnings


def find_anomalies(
    results: Results, tables: Mapping[str, Table], workbook: str | Path, previous: str | Path | None = None
) -> tuple[list, list[Problem]]:
    """数据异动预警 (never an input to the scores) and the problems met finding them.

    ``tables`` are the workbook's sheets already read (for its 历年 sheet); ``previous`` is
    last year's workbook, if given.
    """
    from perf_excel.xlsx.history import collect_anomalies

    anomalies, problems = collect_anomalies(results.scheme, results.data, tables, Path(workbook), previous)
    return list(anomalies), list(problems)


# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class Templates:
    """The Word templates of one report; None is the packaged one."""

    bulletin: Path | None = None
    letter: Path | None = None

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.bulletin, self.letter) if p is not None]


def settings_template(results: Results, workbook: str | Path, kind: str) -> Path | None:
    """The template 设置 names for ``kind`` (bulletin, letter, yearbook), confined to the workbook's folder.

    A 设置 cell must not make us read /etc/passwd or ../../其他单位/x.docx: only a file beside
    the workbook (or below its folder) is accepted, else :class:`InputError` naming the cell.
    """
    from perf_excel.xlsx.safety import confine

    extra = results.scheme.settings.extra
    for key in TEMPLATE_SETTINGS[kind]:
        value = str(extra.get(key) or "").strip()
        if value:
            cell = results.scheme.settings.cells.get(key, "")
            where = f"{Path(workbook).name} 设置!{cell}" if cell else f"{Path(workbook).name} 设置"
            return confine(value, Path(workbook).resolve().parent, key, where)
    return None


def templates(
    results: Results, workbook: str | Path, bulletin: str | Path | None = None, letter: str | Path | None = None
) -> Templates:
    """The templates of a report: those given, else those 设置 names, else the packaged ones."""
    return Templates(
        Path(bulletin) if bulletin else settings_template(results, workbook, "bulletin"),
        Path(letter) if letter else settings_template(results, workbook, "letter"),
    )


# --------------------------------------------------------------------------- documents


@dataclass
class Documents:
    """What :func:`render_documents` wrote."""

    bulletin: Path
    letters: Any = None  #: the documents' LetterRun, None when no letters were asked for
    pdfs: list[Path] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """The Word files written (bulletin, letters, merged letters), in that order."""
        files = [self.bulletin]
        if self.letters is not None:
            files += self.letters.files
            if self.letters.merged:
                files.append(self.letters.merged)
        return files

    @property
    def warnings(self) -> list[str]:
        return list(self.letters.warnings) if self.letters is not None else []


def render_documents(
    results: Results,
    out: str | Path,
    chosen: Templates | None = None,
    *,
    anomalies: Sequence | None = None,
    letters: bool = True,
    charts: bool = True,
    merged: bool = False,
    pdf: bool = False,
) -> Documents:
    """The bulletin into ``out``, the letters into ``out/反馈单``, PDFs into ``out/PDF``.

    The templates are inputs: while they are used, no output may replace them.
    """
    from perf_excel.documents import render_bulletin, render_letters
    from perf_excel.files.outputs import protect_inputs

    out = Path(out)
    chosen = chosen or Templates()
    with protect_inputs(chosen.paths):
        docs = Documents(render_bulletin(results, out, template=chosen.bulletin, anomalies=anomalies))
        if letters:
            docs.letters = render_letters(
                results, out / LETTERS_DIR, template=chosen.letter, charts=charts, merged=merged
            )
        if pdf:
            from perf_excel.documents.pdf import to_pdf

            docs.pdfs = to_pdf(docs.files, out / PDF_DIR)
    return docs
