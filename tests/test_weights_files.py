"""``perf-excel weights`` on files that are not what they claim: a huge CSV field, a folder or a
device named x.csv, a FIFO, a CSV over the size bound. Each ends in one Chinese line naming the
file, exit 1, and never waits."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from perf_excel import cli
from perf_excel.cli import weights as cli_weights


def _run(argv: list[str], seconds: float = 10) -> int:
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("code", cli.main(argv)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"weights still running after {seconds} s (hangs)"
    return box["code"]


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda p: p.write_text("单位,X1\n甲," + "9" * 200_000 + "\n", encoding="utf-8"),
            "d.csv 第 2 行：有一个字段超过 128 KB，不像判断矩阵或数据表；请检查文件内容",
        ),
        (lambda p: p.mkdir(), "d.csv：不是普通文件（是文件夹）"),
        (lambda p: p.symlink_to("/dev/zero"), "d.csv：不是普通文件（指向字符设备）"),
        (_fifo, "d.csv：不是普通文件（是命名管道（FIFO））"),
        (lambda p: p.symlink_to(p.parent / "missing.csv"), "d.csv：是一个符号链接，但它指向的文件不存在或无法访问"),
        (lambda p: None, "d.csv：文件不存在，请检查路径"),
        (
            lambda p: p.write_bytes(b"\xff\xfe\x00\xd8" * 10),
            "d.csv：无法识别 CSV 文件的编码（应为 UTF-8 或 GBK）",
        ),
    ],
)
def test_bad_csv_is_one_message(tmp_path: Path, capsys, make, message: str) -> None:
    path = tmp_path / "d.csv"
    make(path)
    assert _run(["weights", "entropy", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == message
    assert "Traceback" not in err


def test_csv_over_the_size_bound(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "d.csv"
    path.write_text("单位,X1,X2\n" + "甲,10,5\n" * 400, encoding="utf-8")  # 13 + 400 × 9 = 3613 bytes
    monkeypatch.setattr(cli_weights, "MAX_CSV_BYTES", 2048)
    assert _run(["weights", "entropy", str(path)]) == 1
    assert capsys.readouterr().err.strip() == "d.csv：文件过大（3.5 KB，上限 2.0 KB），已拒绝读取"


def test_workbook_that_is_a_fifo(tmp_path: Path, capsys) -> None:
    path = _fifo(tmp_path / "m.xlsx")
    assert _run(["weights", "ahp", str(path)]) == 1
    assert capsys.readouterr().err.strip() == "m.xlsx：不是普通文件（是命名管道（FIFO））"


def test_a_good_csv_still_works(tmp_path: Path, capsys) -> None:
    path = tmp_path / "d.csv"
    path.write_text("单位,X1,X2\n甲,10,5\n乙,20,5\n丙,30,1\n", encoding="utf-8")
    assert _run(["weights", "entropy", str(path), "--directions", "正向,逆向"]) == 0
    # Hand-checked in test_weights: w = 0.2961, 0.7039.
    out = capsys.readouterr().out
    assert "0.2961" in out and "0.7039" in out
