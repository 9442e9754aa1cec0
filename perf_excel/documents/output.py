"""Where the documents go: a folder made if needed, each file written atomically."""

from __future__ import annotations

from pathlib import Path

from perf_excel.core.errors import OutputError
from perf_excel.files.outputs import os_error_text, write_atomic

__all__ = ["ensure_dir", "write_bytes"]


def ensure_dir(path: Path) -> None:
    """Create the folder ``path`` (and its parents); :class:`OutputError` naming it when that fails."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}：无法创建输出文件夹（{os_error_text(exc)}）") from None


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` atomically (:func:`perf_excel.files.outputs.write_atomic`), creating the folder."""
    path = Path(path)
    ensure_dir(path.parent)
    return write_atomic(path, data, busy="无法写入（文件可能已在 Word 中打开，请关闭后重试）")
