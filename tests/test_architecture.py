"""The layers are kept by a test, not by goodwill: who may import whom, and what a wheel ships."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "perf_excel"

#: Libraries that read or write files of a format, talk to Excel or draw: adapters only.
IO_LIBRARIES = {
    "openpyxl",
    "python_calamine",
    "docx",
    "docxtpl",
    "jinja2",
    "xlwings",
    "matplotlib",
    "lxml",
    "defusedxml",
    "zipfile",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved, lazy imports inside functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{alias.name}" for alias in node.names)
    return found


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "templates" not in p.parts)


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in _modules(PKG / folder):
        for mod in sorted(_imports(path)):
            top = mod.split(".")[0]
            if any(mod == f or mod.startswith(f + ".") for f in forbidden) or (
                "IO" in forbidden and top in IO_LIBRARIES
            ):
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    return bad


ADAPTERS = ("perf_excel.xlsx", "perf_excel.documents", "perf_excel.excel", "perf_excel.batch", "perf_excel.cli")


def test_core_imports_no_adapter_and_no_io_library() -> None:
    assert _violations("core", (*ADAPTERS, "perf_excel.udfs", "perf_excel.macros", "IO")) == []


def test_xlsx_does_not_import_documents_excel_batch_or_cli() -> None:
    assert _violations("xlsx", ("perf_excel.documents", "perf_excel.excel", "perf_excel.batch", "perf_excel.cli")) == []


def test_documents_do_not_import_excel_batch_or_cli() -> None:
    assert _violations("documents", ("perf_excel.excel", "perf_excel.batch", "perf_excel.cli")) == []


def test_nothing_outside_cli_imports_cli() -> None:
    bad = []
    for path in _modules(PKG):
        if "cli" in path.relative_to(PKG).parts[:1]:
            continue
        bad += [f"{path.relative_to(ROOT)} imports {m}" for m in _imports(path) if m.startswith("perf_excel.cli")]
    assert bad == []


def test_the_import_scanner_sees_relative_and_lazy_imports(tmp_path: Path) -> None:
    # The rules above are only as good as the scanner: it must catch what a careless edit would add.
    probe = PKG / "core" / "_probe_for_test.py"
    probe.write_text("def f():\n    from ..xlsx import reader\n    import openpyxl\n", encoding="utf-8")
    try:
        found = _imports(probe)
        assert "perf_excel.xlsx.reader" in found and "openpyxl" in found
        assert _violations("core", (*ADAPTERS, "IO")) == [
            "perf_excel/core/_probe_for_test.py imports openpyxl",
            "perf_excel/core/_probe_for_test.py imports perf_excel.xlsx",
            "perf_excel/core/_probe_for_test.py imports perf_excel.xlsx.reader",
        ]
    finally:
        probe.unlink()


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("perf_excel-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def test_wheel_ships_every_package_module_and_the_templates(wheel_names: list[str]) -> None:
    source = {str(p.relative_to(ROOT)) for p in _modules(PKG) if "__pycache__" not in p.parts}
    shipped = {n for n in wheel_names if n.startswith("perf_excel/") and n.endswith(".py")}
    assert source - shipped == set()
    for needed in ("bulletin.docx", "letter.docx", "yearbook.docx"):
        assert f"perf_excel/templates/{needed}" in wheel_names
    assert "perf_excel/resources/fonts.conf" in wheel_names


def test_wheel_ships_no_test_support_or_benchmark(wheel_names: list[str]) -> None:
    bad = [
        n
        for n in wheel_names
        if n.startswith(("tests/", "scripts/", "perf_excel/tests/"))
        or any(word in n for word in ("golden", "bench", "standin", "conftest"))
    ]
    assert bad == []
