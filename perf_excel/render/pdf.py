"""PDF through LibreOffice (``soffice --headless --convert-to pdf``), with the shipped font aliases."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import OutputError

__all__ = ["FONTCONFIG", "find_soffice", "to_pdf", "SOFFICE_MISSING"]

#: fontconfig file mapping 方正小标宋简体/仿宋_GB2312/楷体_GB2312/黑体/宋体 to free CJK fonts.
FONTCONFIG = Path(__file__).resolve().parents[1] / "resources" / "fonts.conf"

SOFFICE_MISSING = (
    "未找到 LibreOffice（soffice），无法生成 PDF。请安装 LibreOffice"
    "（Debian/Ubuntu：sudo apt install libreoffice-writer-nogui fonts-noto-cjk），"
    "或在 Word 中打开 .docx 另存为 PDF。"
)

_WINDOWS_CANDIDATES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


def find_soffice() -> str | None:
    """The soffice executable, or None. ``PERF_EXCEL_SOFFICE`` overrides the search."""
    env = os.environ.get("PERF_EXCEL_SOFFICE")
    if env is not None:
        return env if env and Path(env).exists() else shutil.which(env) if env else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (*_WINDOWS_CANDIDATES, "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if Path(candidate).exists():
            return candidate
    return None


def to_pdf(paths: Sequence[str | Path], out_dir: str | Path, timeout: float = 600) -> list[Path]:
    """Convert .docx/.xlsx files to PDF in ``out_dir``; returns the PDF paths.

    Runs one soffice for all files, with a private profile (so a running LibreOffice or a
    parallel conversion does not interfere) and ``FONTCONFIG_FILE`` pointing at the shipped aliases.
    """
    soffice = find_soffice()
    if not soffice:
        raise OutputError(SOFFICE_MISSING)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [Path(p) for p in paths]
    if not paths:
        return []
    stems: dict[str, Path] = {}
    for p in paths:
        if p.stem in stems:
            raise OutputError(f"{p.name} 与 {stems[p.stem].name} 会生成同名 PDF（{p.stem}.pdf），请分开转换")
        stems[p.stem] = p
    env = dict(os.environ)
    if FONTCONFIG.exists() and os.name != "nt":
        env["FONTCONFIG_FILE"] = str(FONTCONFIG)
    with tempfile.TemporaryDirectory(prefix="perf_excel_lo_") as profile:
        cmd = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            *(str(p) for p in paths),
        ]
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise OutputError(f"LibreOffice 转换 PDF 超时（{int(timeout)} 秒）") from None
        except OSError as exc:
            raise OutputError(f"无法运行 LibreOffice（{soffice}）：{exc.strerror or exc}") from None
    pdfs = [out_dir / (p.stem + ".pdf") for p in paths]
    missing = [p for p in pdfs if not p.exists()]
    if proc.returncode != 0 or missing:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or [""]
        names = "、".join(p.name for p in missing) or "（全部）"
        raise OutputError(f"LibreOffice 未能生成 PDF：{names}（{detail[0]}）")
    return pdfs
