"""Output files: names made from data, atomic writes, file modes, and never the source.

One copy of each mechanism for every writer of the package (results workbook, write-back,
Word documents, PDFs, the yearbook, batch):

* :func:`safe_name` turns text from a workbook (a 考核名称, a unit's code and name) into one
  file name that every system accepts and that no program reads as an option;
  :class:`UniqueNames` keeps the names of one folder apart within a run (compared
  case-insensitively, as Windows and macOS do).
* :func:`atomic_file` (raw), :func:`atomic_output` / :func:`write_atomic` (errors worded) write through a temporary file created
  exclusively (``mkstemp``) beside the target and renamed over it, so a crash, a full disk or
  a planted symbolic link never leaves a half-written or misdirected file;
  :func:`replace_with_backup` does the same and keeps the previous version as ``.bak``.
* :func:`protect_inputs` / :func:`refuse_source` stop an output that would land on an input
  (or its backup).
* :func:`os_error_text` words an :class:`OSError` in Chinese, naming the path.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from perf_excel.core.errors import OutputError

__all__ = [
    "BUSY_IN_EXCEL",
    "MAX_NAME_BYTES",
    "TMP_MARK",
    "UniqueNames",
    "atomic_file",
    "atomic_output",
    "backup_path",
    "default_mode",
    "protect_inputs",
    "os_error_text",
    "refuse_source",
    "replace_with_backup",
    "safe_name",
    "same_file",
    "write_atomic",
]

#: Longest file name we make, in UTF-8 bytes with its suffix (ext4 and APFS allow 255 bytes,
#: a Chinese character takes 3; the room left covers a ``.bak`` or a temporary name's additions).
MAX_NAME_BYTES = 150
#: Marks our temporary files (``.NAME.perf-tmp-XXXXXXXX.tmp``) so a later run can sweep them.
TMP_MARK = ".perf-tmp-"
BUSY_IN_EXCEL = "文件被占用（可能正在 Excel 中打开），请关闭后重试"

# Characters Windows forbids in names (and path separators everywhere).
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|clock\$|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$", re.IGNORECASE)
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}$")


def _clean_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in ("Cf", "Zl", "Zp"):
        # Bidi controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C), zero-width characters
        # (U+200B–200D, U+2060, U+FEFF) and line separators: invisible, they make one name look
        # like another (a reversed ".exe"), so they go.
        return ""
    if category in ("Cc", "Cs") or _FORBIDDEN.match(ch):
        return "_"
    return ch


def safe_name(
    name: object, suffix: str = "", *, fallback: str = "_", tag: str = "", max_bytes: int = MAX_NAME_BYTES
) -> str:
    """``name`` (text from data) made one safe file name, followed by ``tag`` and ``suffix``.

    Path separators, characters Windows forbids and control characters become ``_``;
    invisible format characters (bidi and zero-width) are dropped; leading and trailing
    spaces and trailing dots go; a name starting with ``-`` or ``.`` (an option to the program
    it is passed to, or a hidden file) and Windows device names (``CON``, ``NUL``, ``COM1``…)
    get a ``_`` in front. A result over ``max_bytes`` UTF-8 bytes is cut, and a short hash of
    the whole name is appended so that different long names stay different. Without
    ``suffix``, a short extension of ``name`` itself (``.docx``) is kept when cutting.
    The function is idempotent: a safe name comes back unchanged.
    """
    text = unicodedata.normalize("NFC", str(name))
    text = "".join(_clean_char(ch) for ch in text).strip().rstrip(". ")
    if not text:
        text = fallback
    if text.startswith(("-", ".")) or _RESERVED.match(text.split(".")[0].strip()):
        text = "_" + text
    own = ""
    if not suffix:
        m = _SUFFIX.search(text)
        if m and m.start() > 0:
            text, own = text[: m.start()], m.group(0)
    tail = tag + (suffix or own)
    if len((text + tail).encode("utf-8")) > max_bytes:
        digest = "~" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        keep = max(max_bytes - len((digest + tail).encode("utf-8")), 1)
        text = text.encode("utf-8")[:keep].decode("utf-8", "ignore").rstrip(". ") + digest
    return text + tail


class UniqueNames:
    """File names for one folder in one run: each at most once, compared case-insensitively.

    Two units whose names sanitise alike (``A:1`` and ``A_1``, or ``Ab`` and ``aB`` on Windows
    and macOS) would otherwise share a file and one letter would be lost without a word.
    """

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken = {self._key(n) for n in taken}

    @staticmethod
    def _key(name: str) -> str:
        return unicodedata.normalize("NFC", name).casefold()

    def __len__(self) -> int:
        return len(self._taken)

    def claim(self, name: object, suffix: str = "", key: object = None) -> str:
        """The safe name for ``name`` + ``suffix``, made unique in this folder and then reserved.

        On a clash a short hash of ``key`` (what tells the two apart, e.g. the unit's code) is
        appended, and a counter after that.
        """
        candidates = [safe_name(name, suffix)]
        if key is not None:
            candidates.append(safe_name(name, suffix, tag="~" + hashlib.sha1(str(key).encode()).hexdigest()[:6]))
        # len(taken) + 2 counters cannot all be taken: the loop always ends with a free name.
        candidates += (safe_name(name, suffix, tag=f"~{k}") for k in range(2, len(self._taken) + 3))
        for candidate in candidates:
            if self._key(candidate) not in self._taken:
                self._taken.add(self._key(candidate))
                return candidate
        raise AssertionError("unreachable: a counter is always free")  # pragma: no cover


# --------------------------------------------------------------------------- same file


def _case_insensitive(folder: Path) -> bool:
    """Whether names in ``folder`` are compared without case (Windows, macOS by default)."""
    swapped = Path(str(folder).swapcase())
    if str(swapped) != str(folder):
        try:
            return os.path.samefile(folder, swapped)
        except OSError:
            return False
    return os.name == "nt" or sys.platform == "darwin"


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether the paths ``a`` and ``b`` name one file, existing or not (links resolved,
    hard links found, letter case ignored where the file system ignores it)."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass
    ra, rb = Path(a).resolve(), Path(b).resolve()
    if ra == rb:
        return True
    if ra.name.casefold() != rb.name.casefold():
        return False
    try:
        if not os.path.samefile(ra.parent, rb.parent):
            return False
    except OSError:
        return False
    return _case_insensitive(ra.parent)


def backup_path(path: Path) -> Path:
    """Where the previous version is kept: ``考核表.xlsm`` -> ``考核表.xlsm.bak``."""
    return path.with_name(path.name + ".bak")


#: Input files of the running command (see :func:`protect_inputs`); no output may land on them.
_PROTECTED: list[Path] = []


@contextmanager
def protect_inputs(paths: Iterable[str | os.PathLike | None]) -> Iterator[None]:
    """While the block runs, every atomic write refuses to replace one of ``paths`` or its backup.

    The command line wraps each command in it with the command's input files (workbooks,
    templates), so a file name made from data (a 考核名称, a 年鉴 title) or an output folder
    that holds the inputs cannot overwrite them, whichever writer computes the name.
    """
    added = [Path(p) for p in paths if p]
    _PROTECTED.extend(added)
    try:
        yield
    finally:
        for p in added:
            _PROTECTED.remove(p)


def refuse_source(target: str | os.PathLike, sources: Iterable[str | os.PathLike | None] = ()) -> None:
    """Raise :class:`OutputError` if ``target`` is one of ``sources`` (or of the protected inputs,
    :func:`protect_inputs`) or such a file's backup (``.bak``)."""
    for source in (*sources, *_PROTECTED):
        if not source:
            continue
        src = Path(source)
        for protected, what in ((src, "输入文件"), (backup_path(src), "输入文件的备份")):
            if same_file(target, protected):
                raise OutputError(
                    f"{target}：这是{what} {protected.name}，不能作为输出，已停止（该文件未改动）；请换一个输出位置"
                )


# --------------------------------------------------------------------------- modes and errors


def default_mode() -> int:
    """The mode a new file gets from ``open()``: 0666 less the umask (mkstemp makes 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _mode_for(target: Path) -> int:
    """A replaced file keeps its mode; a new one gets the usual one."""
    try:
        st = os.stat(target, follow_symlinks=False)
    except OSError:
        return default_mode()
    return stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else default_mode()


_REASONS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EACCES: "权限不足",
    errno.EPERM: "权限不足",
    errno.EROFS: "文件系统只读",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.EEXIST: "文件已存在",
}
if hasattr(errno, "EDQUOT"):
    _REASONS[errno.EDQUOT] = "磁盘配额已用完"


def os_error_text(exc: OSError) -> str:
    """The reason of ``exc`` in Chinese (its errno), else the system's words."""
    return _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


# --------------------------------------------------------------------------- atomic writes


def _create_temporary(target: Path) -> Path:
    """A new, exclusively created (O_EXCL: never through a planted link) file beside ``target``."""
    short = target.name.encode("utf-8")[:60].decode("utf-8", "ignore")
    fd, tmp = tempfile.mkstemp(prefix=f".{short}{TMP_MARK}", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(tmp)


def _put_in_place(tmp: Path, target: Path, mode: int | None) -> None:
    os.chmod(tmp, _mode_for(target) if mode is None else mode)
    for attempt in range(5 if os.name == "nt" else 1):
        try:
            os.replace(tmp, target)
            return
        except PermissionError:
            # Windows refuses to replace a file a virus scanner or indexer holds for a moment.
            if attempt == 4 or os.name != "nt":
                raise
            time.sleep(0.2 * (attempt + 1))


@contextmanager
def atomic_file(target: str | os.PathLike, mode: int | None = None, guard: bool = True) -> Iterator[Path]:
    """A temporary path beside ``target`` that replaces ``target`` when the block succeeds.

    The temporary file is created exclusively in the target's folder and named
    ``.NAME.perf-tmp-XXXXXXXX.tmp``; on success it gets ``mode`` (default: the replaced file's
    mode, or 0666 less the umask for a new file; mkstemp makes 0600) and is renamed over
    ``target`` (a symbolic link planted there is replaced, never followed). On any failure it is
    removed and ``target`` is left as it was; an :class:`OSError` propagates as it is (see
    :func:`atomic_output` for one worded for the user). With ``guard`` (the default), a
    ``target`` that is a protected input (:func:`protect_inputs`) is refused.
    """
    target = Path(target)
    if guard:
        refuse_source(target)
    tmp = _create_temporary(target)
    try:
        yield tmp
        _put_in_place(tmp, target, mode)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_output(
    target: str | os.PathLike, busy: str = BUSY_IN_EXCEL, mode: int | None = None, guard: bool = True
) -> Iterator[Path]:
    """:func:`atomic_file` with every :class:`OSError` turned into an :class:`OutputError` naming the path.

    A folder we cannot write into is named as such; a file that cannot be replaced
    (PermissionError, e.g. open in Excel on Windows) is reported with ``busy``; a full disk
    with the reason. Nothing half-written is left behind.
    """
    target = Path(target)
    if guard:
        refuse_source(target)
    try:
        tmp = _create_temporary(target)
    except OSError as exc:
        folder = target.parent
        if exc.errno == errno.ENOENT:
            raise OutputError(f"{folder}：输出文件夹不存在，未写出 {target.name}") from None
        raise OutputError(f"{folder}：输出文件夹不可写（{os_error_text(exc)}），未写出 {target.name}") from None
    try:
        try:
            yield tmp
        except OSError as exc:
            raise OutputError(f"{target}：写入失败（{os_error_text(exc)}），未留下写了一半的文件") from None
        try:
            _put_in_place(tmp, target, mode)
        except PermissionError:
            raise OutputError(f"{target.name}：{busy}") from None
        except OSError as exc:
            raise OutputError(f"{target}：写入失败（{os_error_text(exc)}），未留下写了一半的文件") from None
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(target: str | os.PathLike, data: bytes, busy: str = BUSY_IN_EXCEL) -> Path:
    """Write ``data`` to ``target`` through :func:`atomic_output`; returns ``target`` as a Path."""
    target = Path(target)
    with atomic_output(target, busy) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return target


def replace_with_backup(target: Path, write: Callable[[Path], None], verb: str = "写入") -> Path:
    """Replace ``target`` by what ``write(tmp)`` writes to a temporary file beside it, keeping
    the previous version as the backup (``<name>.bak``). Returns the backup path.

    Nothing changes unless everything succeeds: the new file and the backup are each written
    under a temporary name and renamed, so a kill at any moment leaves the old workbook or the
    new one, and a whole backup or none. The new file keeps the old one's mode. A read-only
    file is refused (its owner meant it not to change). Raises :class:`OutputError`.
    """
    target = Path(target)
    unchanged = "；原文件未做任何改动"
    try:
        st = os.stat(target)
    except OSError as exc:
        raise OutputError(f"{target}：无法{verb}（{os_error_text(exc)}）{unchanged}") from None
    mode = stat.S_IMODE(st.st_mode)
    if not mode & stat.S_IWUSR or not os.access(target, os.W_OK):
        raise OutputError(f"{target}：文件是只读的，未{verb}（如需{verb}，请先取消只读属性）{unchanged}")
    busy = f"文件被占用或只读（可能正在 Excel 中打开），请关闭后重试{unchanged}"
    backup = backup_path(target)
    try:
        # Replacing the input is the point here: the guard against overwriting inputs is off.
        with atomic_output(target, busy, mode=mode, guard=False) as tmp:
            write(tmp)
            with atomic_output(backup, busy, mode=mode, guard=False) as bak_tmp:
                shutil.copy2(target, bak_tmp)
    except OutputError as exc:
        if exc.message.endswith(unchanged):
            raise
        raise OutputError(exc.message.replace("，未留下写了一半的文件", "") + unchanged) from None
    return backup
