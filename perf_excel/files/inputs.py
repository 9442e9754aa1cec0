"""Opening a user's input file: only regular files, and never more than a size bound.

A FIFO, ``/dev/zero`` or ``/dev/urandom`` (or a link to one) named ``x.xlsx`` or ``x.csv``
must not make us wait forever on ``open()`` or read without end. :func:`file_problem` says
in one Chinese sentence why a path is not a regular file (without opening it);
:func:`read_regular` opens without blocking, checks again on the open descriptor (the path
may have been swapped in between) and reads at most ``limit`` bytes.

Links are followed only to a regular file: a link to a workbook elsewhere is the user's
choice, a link to a device or a missing target is refused like the device itself.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from perf_excel.core.errors import InputError

__all__ = [
    "FileRefused",
    "MAX_CSV_BYTES",
    "MAX_WORKBOOK_BYTES",
    "file_problem",
    "iter_regular",
    "os_reason",
    "read_regular",
    "size_text",
]

#: Largest workbook file batch reads (compressed; the package scan bounds what it unpacks to).
MAX_WORKBOOK_BYTES = 256 << 20
#: Largest CSV file read as a table (a pairwise matrix or a data table of units).
MAX_CSV_BYTES = 64 << 20

_CHUNK = 1 << 20


def size_text(n: int) -> str:
    """``n`` bytes for messages: KB below 1 MB, MB above (one decimal below 10)."""
    if n < 1 << 20:
        return f"{n / 1024:.1f} KB"
    mb = n / (1 << 20)
    return f"{mb:.1f} MB" if mb < 10 else f"{mb:.0f} MB"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "文件夹"
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    if stat.S_ISCHR(mode):
        return "字符设备"
    if stat.S_ISBLK(mode):
        return "块设备"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "特殊文件"


class FileRefused(InputError):
    """An input file that was not read. ``reason`` says why in one word, for callers that word the
    message their own way (a Word template, a workbook): ``missing``, ``folder``, ``special`` (a
    FIFO, device or socket), ``too_big`` (``size``: the size found, 0 when it grew while read) or
    ``unreadable`` (``error``: the operating system's error, if any)."""

    def __init__(self, message: str, reason: str, size: int = 0, error: OSError | None = None) -> None:
        super().__init__(message)
        self.reason, self.size, self.error = reason, size, error

    def worded(self, words: Mapping[str, str], **fields: object) -> str:
        """The message in the caller's ``words``: the text for the error's errno name (``EACCES``…)
        or else for ``reason``, formatted with ``fields``, ``size_mb`` and ``reason_text`` (the
        operating system's reason); this error's own message where ``words`` has none."""
        code = errno.errorcode.get(self.error.errno or 0, "") if self.error is not None else ""
        text = words.get(code) or words.get(self.reason)
        if text is None:
            return self.message
        reason_text = os_reason(self.error) if self.error is not None else ""
        return text.format(size_mb=self.size / 2**20, reason_text=reason_text, **fields)


def _refusal(path: Path, name: str) -> FileRefused | None:
    head = f"{name}：" if name else ""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return FileRefused(f"{head}文件不存在，请检查路径", "missing")
    except OSError as exc:
        return FileRefused(f"{head}无法访问（{os_reason(exc)}）", "unreadable", error=exc)
    except ValueError:  # a NUL in the name
        return FileRefused(f"{head}文件名含有空字符（NUL），不是有效的文件名", "unreadable")
    link = stat.S_ISLNK(st.st_mode)
    if link:
        try:
            st = os.stat(path)
        except OSError:
            return FileRefused(f"{head}是一个符号链接，但它指向的文件不存在或无法访问", "missing")
    if stat.S_ISREG(st.st_mode):
        return None
    via = "指向" if link else "是"
    reason = "folder" if stat.S_ISDIR(st.st_mode) else "special"
    return FileRefused(f"{head}不是普通文件（{via}{_kind(st.st_mode)}）", reason)


def file_problem(path: str | os.PathLike, display: str | None = None) -> str | None:
    """Why ``path`` is not a regular file we may read, in one Chinese sentence; None if it is.

    The sentence starts with ``display`` (default: the file name; ``""``: no name). Nothing is opened: a FIFO is recognised by its type, so asking never blocks.
    """
    path = Path(path)
    refusal = _refusal(path, path.name if display is None else display)
    return refusal.message if refusal else None


def os_reason(exc: OSError) -> str:
    """An operating system error in Chinese where we know it (disk full, no permission…)."""
    known = {
        errno.ENOSPC: "磁盘空间不足",
        getattr(errno, "EDQUOT", -1): "超出磁盘配额",
        errno.EACCES: "没有权限",
        errno.EPERM: "没有权限",
        errno.EROFS: "只读文件系统",
        errno.ENAMETOOLONG: "文件名过长",
        errno.ENOENT: "文件或文件夹不存在",
        errno.EISDIR: "这是一个文件夹",
        errno.EIO: "磁盘读写错误",
        errno.EMFILE: "打开的文件过多",
    }
    text = known.get(exc.errno or 0)
    return text if text else str(exc.strerror or exc)


def _open_regular(path: Path, name: str) -> int:
    """A descriptor of ``path`` opened for reading, after checking it is a regular file.

    ``O_NONBLOCK`` keeps ``open()`` of a FIFO from waiting for a writer; the type is checked
    again on the descriptor, since the path may have changed after :func:`file_problem`.
    """
    refusal = _refusal(path, name)
    if refusal:
        raise refusal
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileRefused(
            f"{name}：无法读取（{os_reason(exc)}），文件可能被占用或没有权限", "unreadable", error=exc
        ) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            reason = "folder" if stat.S_ISDIR(st.st_mode) else "special"
            raise FileRefused(f"{name}：不是普通文件（是{_kind(st.st_mode)}）", reason)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def iter_regular(path: str | os.PathLike, limit: int, display: str | None = None) -> Iterator[bytes]:
    """The bytes of the regular file ``path`` in chunks; :class:`InputError` past ``limit`` bytes.

    The bound is on what is read, not on the size ``stat`` reports: a file that grows while
    it is read (or a ``/proc`` file that says 0) is still cut off.
    """
    path = Path(path)
    name = display or path.name
    fd = _open_regular(path, name)
    with os.fdopen(fd, "rb", buffering=0) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise FileRefused(
                f"{name}：文件过大（{size_text(size)}，上限 {size_text(limit)}），已拒绝读取", "too_big", size
            )
        total = 0
        while True:
            try:
                chunk = fh.read(min(_CHUNK, limit + 1 - total))
            except OSError as exc:
                raise FileRefused(f"{name}：读取时出错（{os_reason(exc)}）", "unreadable", error=exc) from None
            if not chunk:
                return
            total += len(chunk)
            if total > limit:
                raise FileRefused(f"{name}：文件过大（超过上限 {size_text(limit)}），已拒绝读取", "too_big", total)
            yield chunk


def read_regular(path: str | os.PathLike, limit: int, display: str | None = None) -> bytes:
    """All bytes of the regular file ``path``; :class:`InputError` when it is not one or exceeds ``limit``."""
    return b"".join(iter_regular(path, limit, display))
