"""``templates check``: what a template uses, what the data does not provide, and a trial render."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from perf_excel.core.errors import OutputError, TemplateError, UsageError
from perf_excel.documents.context import CONTEXT_KEYS, LetterContexts, bulletin_context
from perf_excel.documents.env import make_env
from perf_excel.documents.prepared import PreparedTemplate
from perf_excel.documents.template_errors import error_translator
from perf_excel.documents.templates import TEMPLATE_DIR, load_template
from perf_excel.files.outputs import write_atomic

__all__ = ["KINDS", "TemplateReport", "check_template", "export_templates", "guess_kind", "template_variables"]

#: Template kind → built-in file.
KINDS = {"bulletin": "bulletin.docx", "letter": "letter.docx", "yearbook": "yearbook.docx"}
_HINTS = {"bulletin": ("bulletin", "通报"), "letter": ("letter", "反馈"), "yearbook": ("yearbook", "年鉴")}
KIND_NAMES = {"bulletin": "通报", "letter": "反馈单", "yearbook": "年鉴"}


def guess_kind(path: str | Path) -> str | None:
    name = Path(path).name.lower()
    for kind, hints in _HINTS.items():
        if any(h in name for h in hints):
            return kind
    return None


@dataclass
class TemplateReport:
    name: str
    kind: str
    variables: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.error


def check_template(path: str | Path, kind: str | None = None) -> TemplateReport:
    """Variables a template uses, those no data provides, and the error of a trial render on sample data."""
    kind = kind or guess_kind(path)
    if kind not in KINDS:
        raise UsageError(
            f"{Path(path).name}：无法从文件名判断模板类型，请用 {{option}} 指定 bulletin、letter 或 yearbook",
            option="kind",
        )
    name, data = load_template(path, KINDS[kind])
    env = make_env()
    report = TemplateReport(name, kind)
    try:
        used = template_variables(name, data, env)
    except TemplateError as exc:
        report.error = str(exc)
        return report
    report.variables = sorted(used)
    report.unknown = sorted(v for v in used if v not in CONTEXT_KEYS[kind] and v not in env.globals)
    if report.unknown:
        return report
    try:
        PreparedTemplate(data, name, env).render(sample_context(kind))
    except TemplateError as exc:
        report.error = str(exc)
    return report


def template_variables(name: str, data: bytes, env: SandboxedEnvironment | None = None) -> set[str]:
    """The top-level names a template uses (body, headers, footers, core properties)."""
    env = env or make_env()
    prepared = PreparedTemplate(data, name, env)
    names: set[str] = set()
    run = error_translator(name)
    for src in prepared.sources():
        names |= run(lambda src=src: meta.find_undeclared_variables(env.parse(src)), src)
    return names


def sample_context(kind: str) -> dict:
    """A context of ``kind`` built from the sample assessment (charts left out)."""
    from perf_excel.documents.samples import sample_results, sample_years

    if kind == "bulletin":
        return bulletin_context(sample_results())
    if kind == "letter":
        return LetterContexts(sample_results()).context("B02")
    from perf_excel.documents.yearbook import yearbook_context

    return yearbook_context(sample_years())


def export_templates(out_dir: str | Path, force: bool = False) -> list[Path]:
    """Copy the built-in templates to ``out_dir`` for editing; existing files are kept unless ``force``."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}：无法创建文件夹（{exc.strerror or exc}）") from None
    written = []
    for file in KINDS.values():
        target = out_dir / file
        if (target.exists() or target.is_symlink()) and not force:
            raise OutputError(f"{target}：文件已存在，未覆盖（如需覆盖请加 {{option}}）", option="force")
        # Atomically, never through a link planted at the name (write_atomic replaces the link).
        written.append(write_atomic(target, (TEMPLATE_DIR / file).read_bytes()))
    return written
