"""PDF through LibreOffice (``soffice --headless --convert-to pdf``), with the shipped font aliases."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from perf_excel.core.errors import OutputError
from perf_excel.files.outputs import atomic_output, os_error_text, safe_name

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


#: Suffixes kept on the copies LibreOffice converts (it also looks at the content).
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


def to_pdf(paths: Sequence[str | Path], out_dir: str | Path, timeout: float = 600) -> list[Path]:
    """Convert .docx/.xlsx files to PDF in ``out_dir``; returns the PDF paths (``NAME.pdf`` for ``NAME.docx``).

    Runs one soffice for all files, in a private temporary folder: a private profile
    (``-env:UserInstallation``, so a running LibreOffice, a parallel conversion or the lock files
    of a killed one do not interfere) and copies of the files named by us (``doc-0001.docx``)
    passed as absolute paths, so no file name made from data (a 考核名称 ``--accept=…``) can be
    read as an option. The PDFs are then moved into ``out_dir`` atomically.
    ``FONTCONFIG_FILE`` points at the shipped font aliases.
    """
    soffice = find_soffice()
    if not soffice:
        raise OutputError(SOFFICE_MISSING)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}：无法创建输出文件夹（{os_error_text(exc)}）") from None
    paths = [Path(p) for p in paths]
    if not paths:
        return []
    names: dict[str, Path] = {}
    targets = []
    for p in paths:
        name = safe_name(p.stem, ".pdf")
        if name.casefold() in names:
            raise OutputError(f"{p.name} 与 {names[name.casefold()].name} 会生成同名 PDF（{name}），请分开转换")
        names[name.casefold()] = p
        targets.append(out_dir / name)
    env = dict(os.environ)
    if FONTCONFIG.exists() and os.name != "nt":
        env["FONTCONFIG_FILE"] = str(FONTCONFIG)
    with tempfile.TemporaryDirectory(prefix="perf_excel_lo_") as tmp:
        work = Path(tmp).resolve()
        (work / "in").mkdir()
        copies = []
        for k, p in enumerate(paths, 1):
            suffix = p.suffix.lower() if _SUFFIX.fullmatch(p.suffix) else ""
            copy = work / "in" / f"doc-{k:04d}{suffix}"
            try:
                shutil.copyfile(p, copy)
            except OSError as exc:
                raise OutputError(f"{p}：无法读取，未转换为 PDF（{os_error_text(exc)}）") from None
            copies.append(copy)
        cmd = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "pdf"),
            *(str(c) for c in copies),
        ]
        returncode, detail = _run(cmd, env, timeout, soffice)
        produced = [work / "pdf" / (c.stem + ".pdf") for c in copies]
        missing = [p.name for p, pdf in zip(paths, produced) if not pdf.is_file()]
        if returncode != 0 or missing:
            names_text = "、".join(missing) or "（全部）"
            raise OutputError(f"LibreOffice 未能生成 PDF：{names_text}（{detail}）")
        for pdf, target in zip(produced, targets):
            with atomic_output(target, "文件被占用（可能正在 PDF 阅读器中打开），请关闭后重试") as out:
                shutil.copyfile(pdf, out)
    return targets


def _run(cmd: list[str], env: dict[str, str], timeout: float, soffice: str) -> tuple[int, str]:
    """Run soffice in its own process group; on a timeout or Ctrl-C the whole group is killed
    (``soffice`` is a script that starts ``soffice.bin``). Returns (exit code, last line of its output)."""
    posix = os.name != "nt"
    try:
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=posix,
        )
    except OSError as exc:
        raise OutputError(f"无法运行 LibreOffice（{soffice}）：{os_error_text(exc)}") from None
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc, posix)
        raise OutputError(f"LibreOffice 转换 PDF 超时（{int(timeout)} 秒）") from None
    except BaseException:
        _kill(proc, posix)
        raise
    lines = (output or "").strip().splitlines()
    return proc.returncode, lines[-1] if lines else ""


def _kill(proc: subprocess.Popen, posix: bool) -> None:
    try:
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except OSError:
        pass
    proc.communicate()
