"""Finding the workbooks of a batch: folders walked, only regular files, ignored entries with a reason."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from perf_excel.batch.state import STATE_DIR, _numbered, safe_relpath
from perf_excel.batch.summary import SUMMARY_JSON, SUMMARY_XLSX
from perf_excel.core.errors import UsageError
from perf_excel.files.inputs import MAX_WORKBOOK_BYTES, file_problem, iter_regular, os_reason, read_regular
from perf_excel.files.outputs import safe_name

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: Other spreadsheet files found in the folder are listed as ignored, with the reason.
_OTHER_SPREADSHEETS = {".xls": "旧版 .xls 格式不支持，请另存为 .xlsx", ".et": "WPS .et 格式不支持，请另存为 .xlsx"}
# --------------------------------------------------------------------------- discovery


@dataclass
class _Task:
    """One workbook to convert. Its bytes are read only when it is submitted (a province's
    workbooks need not fit in memory), and hashed again then: the manifest records the hash
    of what was converted, even if the file changed since discovery."""

    index: int
    source: Path
    rel: str
    out_rel: str
    size: int = 0
    sha256: str = ""
    solo: bool = False

    def options_for(self, options: dict[str, Any]) -> dict[str, Any]:
        """The batch's options, with the folder the workbook lives in (where its 设置 templates are)."""
        return {**options, "source_dir": str(self.source.resolve().parent)}

    def load(self) -> bytes:
        """The workbook's bytes (a regular file of at most :data:`MAX_WORKBOOK_BYTES`), hashed.

        Raises :class:`InputError` when it is no longer a regular file, grew past the bound
        or cannot be read.
        """
        data = read_regular(self.source, MAX_WORKBOOK_BYTES, PurePosixPath(self.rel).name)
        self.sha256 = hashlib.sha256(data).hexdigest()
        return data


def _file_sha256(path: Path, display: str) -> tuple[str, int]:
    """Content hash and size of a regular file, reading at most :data:`MAX_WORKBOOK_BYTES`.

    Raises :class:`InputError` (naming ``display``) for anything else: a FIFO swapped in
    after discovery must not block the parent, a device must not be read forever.
    """
    digest = hashlib.sha256()
    size = 0
    for chunk in iter_regular(path, MAX_WORKBOOK_BYTES, display):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def discover(
    inputs: str | os.PathLike | Sequence[str | os.PathLike],
    pattern: str | None = None,
    exclude: Path | None = None,
) -> tuple[list[tuple[Path, str]], list[dict[str, str]]]:
    """Workbooks to convert as ``(path, relative name)``, and the files ignored (with a reason).

    A folder is searched recursively for ``.xlsx``/``.xlsm``; Excel's ``~$`` lock files,
    hidden files and folders and ``exclude`` (the output folder) are left out. ``pattern``
    is matched against the relative path (``/`` separated) and against the file name.

    Only regular files are workbooks. A FIFO, a device (``/dev/zero``) or a socket named
    ``x.xlsx``, or a link to one, is ignored with its reason: opening or hashing it would
    wait or read forever. A symbolic link is followed when its target is a regular file
    (a workbook kept elsewhere and linked in is the user's choice); links to folders are
    not followed, so the search cannot loop. A folder named ``x.xlsx`` is searched like any
    other folder.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    several = len(inputs) > 1
    found: list[tuple[Path, str]] = []
    ignored: list[dict[str, str]] = []
    exclude_resolved = exclude.resolve() if exclude else None
    for item in inputs:
        root = Path(item)
        if not root.exists() and not root.is_symlink():
            raise UsageError(f"输入 {root} 不存在")
        if not root.is_dir():
            # A file named explicitly is converted whatever its suffix (and fails with the reason).
            if root.name.startswith("~$"):
                continue
            problem = file_problem(root, "")
            if problem:
                ignored.append({"source": root.name, "reason": problem})
            else:
                found.append((root, root.name))
            continue
        prefix = f"{safe_name(root.resolve().name)}/" if several else ""
        for path in _walk(root, exclude_resolved, ignored, prefix):
            rel = prefix + path.relative_to(root).as_posix()
            name = path.name
            suffix = path.suffix.lower()
            if name.startswith("~$"):
                if suffix in WORKBOOK_SUFFIXES:
                    ignored.append({"source": rel, "reason": "Excel 打开文件时生成的锁定文件（~$），已跳过"})
                continue
            if pattern and not (fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern)):
                continue
            if suffix in WORKBOOK_SUFFIXES:
                problem = file_problem(path, "")
                if problem:
                    ignored.append({"source": rel, "reason": problem})
                else:
                    found.append((path, rel))
            elif suffix in _OTHER_SPREADSHEETS:
                ignored.append({"source": rel, "reason": _OTHER_SPREADSHEETS[suffix]})
    found.sort(key=lambda t: t[1])
    return found, ignored


def _walk(root: Path, exclude: Path | None, ignored: list[dict[str, str]], prefix: str) -> Iterator[Path]:
    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename or root)
        rel = where.relative_to(root).as_posix() if where.is_relative_to(root) else where.name
        ignored.append({"source": prefix + rel, "reason": f"无法读取此文件夹（{os_reason(exc)}），其中的文件未处理"})

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if (here / d).is_symlink():
                # os.walk lists a link to a folder among the folders and does not enter it;
                # a link named like a workbook is treated as the file it claims to be.
                if Path(d).suffix.lower() in WORKBOOK_SUFFIXES:
                    filenames.append(d)
                continue
            if exclude is not None and (here / d).resolve() == exclude:
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if not f.startswith("."):
                yield here / f


def _assign_output_dirs(rels: Sequence[str]) -> list[str]:
    """OUT_DIR-relative folder of each source: its path without suffix, sanitised, unique.

    Two sources may map to one folder (``a.xlsx`` and ``a.xlsm``; ``a:b`` and ``a_b``;
    ``A`` and ``a`` on Windows); the later ones get ``~2``, ``~3``.
    """
    taken = {SUMMARY_JSON.casefold(), SUMMARY_XLSX.casefold(), STATE_DIR.casefold()}
    out = []
    for rel in rels:
        p = PurePosixPath(rel)
        base = safe_relpath(str(p.with_suffix("")) if p.suffix else str(p))
        candidate, n = base, 1
        while candidate.as_posix().casefold() in taken:
            n += 1
            candidate = base.with_name(_numbered(base.name, n))
        taken.add(candidate.as_posix().casefold())
        out.append(candidate.as_posix())
    return out
