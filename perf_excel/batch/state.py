"""The output folder of a batch: its lock, the manifest of what was converted, and committing outputs.

Only the parent process writes here, each file under a temporary name and then renamed,
with every path component sanitised.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from perf_excel import __version__
from perf_excel.core.errors import InputError, OutputError
from perf_excel.files.inputs import MAX_WORKBOOK_BYTES, iter_regular, os_reason
from perf_excel.files.outputs import TMP_MARK, atomic_file, safe_name

STATE_DIR = ".perf-excel-batch"
MANIFEST = "manifest.json"
LOCK = "lock"
_TMP_MARK = TMP_MARK
# --------------------------------------------------------------------------- names


def safe_relpath(relpath: str) -> PurePosixPath:
    """A relative path (``/`` or ``\\`` separated, from anywhere) as sanitised components.

    ``..``, ``.``, empty parts and drive or root prefixes cannot climb out: every part
    goes through the shared file-name rule (:func:`perf_excel.files.outputs.safe_name`),
    so the result always stays below its base folder.
    """
    parts = [p for p in re.split(r"[/\\]+", str(relpath)) if p not in ("", ".")]
    if not parts:
        return PurePosixPath("_")
    return PurePosixPath(*(safe_name(p) for p in parts))


def _numbered(name: str, n: int, suffix: str = "") -> str:
    """``name~n`` + ``suffix`` as one safe component, shortening ``name`` until the number fits."""
    stem = name
    while True:
        candidate = safe_name(f"{stem}~{n}{suffix}")
        if candidate.endswith(f"~{n}{suffix}") or not stem:
            return candidate
        stem = stem[: -max(1, len(stem) // 8)]


# --------------------------------------------------------------------------- output folder


_LOCK_OFFSET = 1 << 20
_LOCK_HELD = {errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, getattr(errno, "EDEADLOCK", errno.EDEADLK)}


class _OutLock:
    """An exclusive OS lock on ``OUT_DIR/.perf-excel-batch/lock``, released when we exit or die."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK
        self._fh: Any = None

    def acquire(self) -> None:
        try:
            # Never through a link planted in the output folder: the lock file is truncated below.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
            fh = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        except OSError as exc:
            out_dir = self.path.parent.parent
            raise OutputError(f"无法在输出文件夹 {out_dir} 中创建锁文件（{os_reason(exc)}）") from None
        try:
            if os.name == "nt":
                import msvcrt

                # Windows locks are mandatory: lock a byte past the text, so that the
                # second batch can still read who holds the lock.
                fh.seek(_LOCK_OFFSET)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in _LOCK_HELD:
                # A file system without locks (some network shares): run unprotected rather than never.
                fh.close()
                return
            try:
                fh.seek(0)
                holder = fh.read(500).strip() or "未知进程"
            except OSError:
                holder = "未知进程"
            fh.close()
            out_dir = self.path.parent.parent
            raise OutputError(
                f"输出文件夹 {out_dir} 正被另一个批量任务使用（{holder}）；请等它结束后再运行，或换一个输出文件夹（-o）"
            ) from None
        self._fh = fh
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"进程 {os.getpid()}，主机 {socket.gethostname()}，开始于 {datetime.now():%Y-%m-%d %H:%M:%S}")
            fh.flush()
        except OSError:
            pass  # who holds the lock is a courtesy (a full disk cannot take it); the lock is held

    def release(self) -> None:
        if self._fh is None:
            return
        try:
            try:
                self._fh.seek(0)
                self._fh.truncate()
            except OSError:
                pass
            if os.name == "nt":
                import msvcrt

                self._fh.seek(_LOCK_OFFSET)
                msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        finally:
            self._fh.close()
            self._fh = None


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder and a rename
    (:func:`perf_excel.files.outputs.atomic_file`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # No fsync: the rename is what makes an interrupted run (Ctrl-C, kill) safe, and
    # an fsync per file made the parent a bottleneck (0.1 s per workbook of 32 files).
    with atomic_file(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def _inside(base: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
    except ValueError:
        return False
    return True


def _commit_outputs(out_dir: Path, out_rel: str, files: Sequence[tuple[str, bytes]]) -> list[str]:
    """Write a worker's files below ``out_dir/out_rel``; returns OUT_DIR-relative paths written.

    Every file is written, each under its own name: two names that the file-name rule makes
    one (or that differ only in case, one file on Windows and macOS) get ``~2``, ``~3``, so
    the number of paths returned is the number of files given.
    """
    base = out_dir / safe_relpath(out_rel)
    written = []
    taken: set[str] = set()
    for rel, data in files:
        relpath = safe_relpath(rel)
        n = 1
        while relpath.as_posix().casefold() in taken:
            n += 1
            stem, suffix = relpath.stem, relpath.suffix
            if len(suffix) > 10 or not stem:
                stem, suffix = relpath.name, ""
            relpath = relpath.with_name(_numbered(stem, n, suffix))
        taken.add(relpath.as_posix().casefold())
        target = base / relpath
        if not _inside(out_dir, target):  # cannot happen after safe_relpath; defence in depth
            raise OutputError(f"{rel}：输出路径越出输出文件夹，已拒绝写入")
        _write_atomic(target, data)
        written.append(target.relative_to(out_dir).as_posix())
    return written


def _remove_stale(out_dir: Path, old: Iterable[str], keep: Iterable[str]) -> None:
    """Delete files a previous run wrote for a source that this run did not write again."""
    keep_set = set(keep)
    for rel in old:
        if rel in keep_set:
            continue
        target = out_dir / safe_relpath(rel)
        if _inside(out_dir, target) and target.is_file():
            try:
                target.unlink(missing_ok=True)
            except OSError:
                continue  # an old file left behind is no reason to fail a converted workbook
            parent = target.parent
            while parent != out_dir and _inside(out_dir, parent):
                try:
                    parent.rmdir()  # only if empty
                except OSError:
                    break
                parent = parent.parent


def _sweep_temporaries(out_dir: Path) -> None:
    """Remove temporary files an interrupted earlier run left behind (only names we make)."""
    try:
        for path in out_dir.rglob(f".*{_TMP_MARK}*"):
            if path.is_file() and not path.is_symlink():
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    pass  # left for the next run; never a reason not to run
    except OSError:
        pass


def _load_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get("entries") if isinstance(data, dict) else None
    return entries if isinstance(entries, dict) else {}


def _save_manifest(path: Path, entries: dict[str, Any]) -> None:
    payload = {"version": __version__, "entries": entries}
    _write_atomic(path, json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"))


class _ManifestSaver:
    """Saves the manifest at most every ``interval`` seconds, and at the end.

    Saving after every file would rewrite the whole manifest n times (quadratic for a
    province's ten thousand workbooks); what a kill loses is only re-converted next time.
    """

    def __init__(self, path: Path, entries: dict[str, Any], errors: list[str], interval: float = 2.0) -> None:
        self.path, self.entries, self.interval = path, entries, interval
        self.errors = errors
        self.dirty = False
        self.last = time.monotonic()

    def changed(self) -> None:
        self.dirty = True
        if time.monotonic() - self.last >= self.interval:
            self.save()

    def save(self) -> None:
        """Save if changed; a failure (disk full) is recorded once and the batch goes on.

        The manifest only spares work next time: without it the next run converts again.
        """
        if self.dirty:
            try:
                _save_manifest(self.path, self.entries)
                self.dirty = False
            except OSError as exc:
                text = f"无法保存处理记录 {self.path.name}（{os_reason(exc)}）；下次运行将重新转换这些工作簿"
                if text not in self.errors:
                    self.errors.append(text)
        self.last = time.monotonic()


def _options_key(options: dict[str, Any]) -> str:
    """Everything besides the workbook that changes the outputs; a change re-converts."""
    from perf_excel.batch.worker import _renderer

    documents = bool(options.get("documents", True)) and _renderer() is not None
    key = {"pdf": bool(options.get("pdf")), "version": __version__, "documents": documents}
    key["templates"] = _templates_fingerprint()
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _templates_fingerprint() -> str:
    """A hash of the packaged Word templates, so that a template change re-renders."""
    from perf_excel.batch.worker import _renderer

    digest = hashlib.sha256()
    render = _renderer()
    folders = [Path(render.TEMPLATE_DIR)] if render is not None and hasattr(render, "TEMPLATE_DIR") else []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    digest.update(path.relative_to(folder).as_posix().encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _unchanged(out: Path, old: dict | None, sha: str, opt_key: str, out_rel: str) -> bool:
    if not old or old.get("sha256") != sha or old.get("options") != opt_key or old.get("output_dir") != out_rel:
        return False
    outputs = old.get("outputs") or []
    if not outputs or not all((out / safe_relpath(rel)).is_file() for rel in outputs):
        return False
    used = old.get("templates") or {}
    return isinstance(used, dict) and templates_digest(used) == used


def templates_digest(paths: Iterable[str]) -> dict[str, str]:
    """The content hash of each template a conversion used (named in its 设置), by path.

    A template edited since, or gone, changes the digest, and the workbook is converted again.
    """
    digest = {}
    for path in paths:
        try:
            h = hashlib.sha256()
            for chunk in iter_regular(Path(path), MAX_WORKBOOK_BYTES, Path(path).name):
                h.update(chunk)
            digest[str(path)] = h.hexdigest()
        except (InputError, OSError):
            digest[str(path)] = ""
    return digest
