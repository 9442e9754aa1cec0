"""Batch against hostile inputs and a hostile machine: special files, panics, data-caused errors,
a full disk, file permissions, and letters whose names collide or look like temporary files."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import threading
from pathlib import Path

import openpyxl
import pytest

from perf_excel import batch
from perf_excel.batch import (
    FAILED,
    OK,
    SUMMARY_JSON,
    SUMMARY_XLSX,
    _commit_outputs,
    classify_exception,
    convert_workbook,
    discover,
    run_batch,
    run_guarded,
)
from perf_excel.cli import main
from perf_excel.core.errors import InputError
from perf_excel.files import inputs as infile

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"


class PanicException(BaseException):
    """Stands in for ``pyo3_runtime.PanicException`` (python-calamine's Rust panics): a BaseException."""


PanicException.__module__ = "pyo3_runtime"


# Module-level converters, so that spawned workers (and Dask helpers) can import them.


def quick_converter(name: str, data: bytes, options: dict) -> dict:
    """Converts nothing: one small output per workbook (these tests are about the plumbing)."""
    record = {"status": OK, "kind": "", "reason": "", "errors": [], "warnings": [], "units": 1}
    return {"record": record, "files": [("结果.xlsx", data[:64])]}


def panicking_converter(name: str, data: bytes, options: dict) -> dict:
    if "panic" in name:
        raise PanicException("TimeDelta::milliseconds out of bounds")
    return quick_converter(name, data, options)


def _wait_ok(seconds: float, fn, *args, **kwargs):
    """Run ``fn`` in a thread and fail the test (instead of hanging it) when it takes too long."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the test below
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s (hangs)"
    if "error" in box:
        raise box["error"]
    return box["value"]


# --------------------------------------------------------------------------- special files


@pytest.fixture
def special_folder(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "good.xlsx")
    os.mkfifo(src / "fifo.xlsx")
    (src / "zero.xlsx").symlink_to("/dev/zero")
    (src / "random.xlsm").symlink_to("/dev/urandom")
    (src / "dangling.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    (src / "folder.xlsx").mkdir()  # a folder named like a workbook is searched like any folder
    shutil.copy(DEMO, src / "folder.xlsx" / "inner.xlsx")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(DEMO, elsewhere / "kept.xlsx")
    (src / "linked.xlsx").symlink_to(elsewhere / "kept.xlsx")  # a link to a workbook is followed
    (src / "linkdir.xlsx").symlink_to(elsewhere, target_is_directory=True)
    return src


#: What discovery says about each special entry of special_folder.
SKIPPED = {
    "fifo.xlsx": "不是普通文件（是命名管道（FIFO））",
    "zero.xlsx": "不是普通文件（指向字符设备）",
    "random.xlsm": "不是普通文件（指向字符设备）",
    "dangling.xlsx": "是一个符号链接，但它指向的文件不存在或无法访问",
    "linkdir.xlsx": "不是普通文件（指向文件夹）",
}


def test_discover_takes_only_regular_files(special_folder: Path) -> None:
    found, ignored = _wait_ok(10, discover, special_folder)
    assert [rel for _, rel in found] == ["folder.xlsx/inner.xlsx", "good.xlsx", "linked.xlsx"]
    assert {i["source"]: i["reason"] for i in ignored} == SKIPPED


def test_batch_with_fifo_and_devices_ends_and_lists_them(special_folder: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    summary = _wait_ok(60, run_batch, special_folder, out, jobs=1, converter=quick_converter)
    assert {f.source: f.status for f in summary.files} == {
        "folder.xlsx/inner.xlsx": OK,
        "good.xlsx": OK,
        "linked.xlsx": OK,
    }
    data = json.loads((out / SUMMARY_JSON).read_text(encoding="utf-8"))
    assert {i["source"]: i["reason"] for i in data["ignored"]} == SKIPPED
    rows = list(openpyxl.load_workbook(out / SUMMARY_XLSX, read_only=True)["汇总"].iter_rows(values_only=True))
    fifo = next(r for r in rows if r[0] == "fifo.xlsx")
    assert fifo[1] == "忽略" and fifo[-1] == "不是普通文件（是命名管道（FIFO））"


def test_fifo_or_device_named_on_the_command_line_is_skipped(special_folder: Path, tmp_path: Path, capsys) -> None:
    argv = ["batch", str(special_folder / "fifo.xlsx"), str(special_folder / "zero.xlsx"), "-o", str(tmp_path / "o")]
    assert _wait_ok(60, main, argv) == 0
    err = capsys.readouterr().err
    assert "跳过  fifo.xlsx：不是普通文件（是命名管道（FIFO））" in err
    assert "跳过  zero.xlsx：不是普通文件（指向字符设备）" in err


def test_file_swapped_for_a_fifo_after_discovery_is_refused(tmp_path: Path) -> None:
    """The type is checked again on the open descriptor: no blocking open, no endless read."""
    fifo = tmp_path / "x.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"^x\.xlsx：不是普通文件（是命名管道（FIFO））$"):
        _wait_ok(5, batch._file_sha256, fifo, "x.xlsx")


def test_descriptor_is_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the path check (the file was swapped in between), the open descriptor is checked."""
    fifo = tmp_path / "x.xlsx"
    os.mkfifo(fifo)
    monkeypatch.setattr(infile, "file_problem", lambda *args, **kwargs: None)
    with pytest.raises(InputError, match=r"^x\.xlsx：不是普通文件（是命名管道（FIFO））$"):
        _wait_ok(5, infile.read_regular, fifo, 1000)


def test_hashing_has_a_size_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "big.xlsx").write_bytes(b"PK" + b"x" * 2998)  # 3000 bytes = 2.9 KB
    monkeypatch.setattr(batch.discovery, "MAX_WORKBOOK_BYTES", 1024)
    summary = run_batch(src, tmp_path / "out", jobs=1, converter=quick_converter)
    [rec] = summary.files
    assert (rec.status, rec.kind) == (FAILED, "input")
    assert rec.reason == "big.xlsx：文件过大（2.9 KB，上限 1.0 KB），已拒绝读取"


def test_read_regular_stops_at_the_bound_even_when_the_size_lies(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "grows.csv"
    path.write_bytes(b"x" * 5000)
    real_fstat = os.fstat

    def small_fstat(fd):  # a /proc-like file: says 0 bytes, holds more
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid, st.st_gid, 0, 0, 0, 0))

    monkeypatch.setattr(infile.os, "fstat", small_fstat)
    with pytest.raises(InputError, match=r"^grows\.csv：文件过大（超过上限 2\.0 KB），已拒绝读取$"):
        infile.read_regular(path, 2048)


# --------------------------------------------------------------------------- panics and data-caused errors


def test_panic_in_a_worker_is_one_failed_input_record(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.xlsx", "panic.xlsx", "b.xlsx"):
        shutil.copy(DEMO, src / name)
    summary = _wait_ok(120, run_batch, src, tmp_path / "out", jobs=2, converter=panicking_converter)
    status = {f.source: (f.status, f.kind) for f in summary.files}
    assert status == {"a.xlsx": (OK, ""), "b.xlsx": (OK, ""), "panic.xlsx": (FAILED, "input")}
    rec = next(f for f in summary.files if f.source == "panic.xlsx")
    assert rec.reason == (
        "panic.xlsx：读取组件无法处理工作簿中的某个值（TimeDelta::milliseconds out of bounds），"
        "文件可能含有异常数据（例如超出范围的日期）；请在 Excel 中检查后重新保存"
    )
    assert "程序内部错误" not in rec.reason


def test_guard_lets_ctrl_c_and_exit_through() -> None:
    def interrupt(*args):
        raise KeyboardInterrupt

    def leave(*args):
        raise SystemExit(3)

    with pytest.raises(KeyboardInterrupt):
        run_guarded(interrupt, "a.xlsx", b"", {})
    with pytest.raises(SystemExit):
        run_guarded(leave, "a.xlsx", b"", {})


LXML_TEXT = "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"


@pytest.mark.parametrize(
    "exc, kind, reason",
    [
        (
            PanicException("index out of range"),
            "input",
            "x.xlsx：读取组件无法处理工作簿中的某个值（index out of range），文件可能含有异常数据（例如超出范围的日期）；"
            "请在 Excel 中检查后重新保存",
        ),
        (
            RecursionError("maximum recursion depth exceeded"),
            "input",
            "x.xlsx：工作簿内容嵌套过深（例如公式层层嵌套），超出处理能力；请简化后重试",
        ),
        (
            OSError(errno.ENAMETOOLONG, "File name too long", "/tmp/x/反馈单/很长.docx"),
            "input",
            "x.xlsx：由工作簿中的名称（如单位名称、考核名称）生成的文件名过长，超出系统限制；请缩短名称后重试",
        ),
        (ValueError(LXML_TEXT), "input", "x.xlsx：工作簿中含有控制字符等不能写入文档的字符，请删除这些字符后重试"),
        (
            UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
            "input",
            "x.xlsx：工作簿中含有无法编码的字符（孤立的代理字符），请删除后重试",
        ),
        (
            ValueError("exceeded 255 char limit for property, got:\n\n'很长'"),
            "input",
            "x.xlsx：工作簿中的名称（如单位名称、考核名称）超过 255 个字符，无法写入文档属性；请缩短名称后重试",
        ),
        (MemoryError(), "input", "x.xlsx：内存不足，无法处理此工作簿（工作簿过大）"),
        (OSError(errno.ENOSPC, "No space left on device"), "output", "x.xlsx：临时文件夹磁盘空间不足，无法生成输出"),
        (
            ZeroDivisionError("division by zero"),
            "internal",
            "x.xlsx：程序内部错误（ZeroDivisionError: division by zero），请将此文件反馈给维护人员",
        ),
        (KeyError("grade"), "internal", "x.xlsx：程序内部错误（KeyError: 'grade'），请将此文件反馈给维护人员"),
    ],
)
def test_classify_exception(exc: BaseException, kind: str, reason: str) -> None:
    assert classify_exception(exc, "x.xlsx") == (kind, reason)


@pytest.mark.parametrize(
    "exc, kind",
    [
        (RecursionError("maximum recursion depth exceeded"), "input"),
        (OSError(errno.ENAMETOOLONG, "File name too long"), "input"),
        (ValueError(LXML_TEXT), "input"),
        (PanicException("TimeDelta::milliseconds out of bounds"), "input"),
        (ZeroDivisionError("division by zero"), "internal"),
    ],
)
def test_data_caused_errors_in_the_reader_are_input_errors(monkeypatch: pytest.MonkeyPatch, exc, kind: str) -> None:
    """What the reader lets escape becomes a failed record of its kind; only bugs are internal."""
    import perf_excel.xlsx.reader

    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(perf_excel.xlsx.reader, "read_tables", broken)
    outcome = run_guarded(convert_workbook, "县区/坏.xlsx", DEMO.read_bytes(), {"documents": False})
    record = outcome["record"]
    assert (record["status"], record["kind"]) == (FAILED, kind)
    assert record["reason"].startswith("坏.xlsx：")
    assert ("程序内部错误" in record["reason"]) == (kind == "internal")
    assert record["errors"][0]["message"] == record["reason"] and outcome["files"] == []


def _demo_with_units(path: Path, names: dict[str, str]) -> Path:
    wb = openpyxl.load_workbook(DEMO)
    for cell, name in names.items():
        wb["单位"][cell] = name
    wb.save(path)
    return path


def test_long_unit_name_is_not_an_internal_error(tmp_path: Path) -> None:
    """A unit name too long for a file name: either the letter is named within the limit, or
    the file fails as an input problem that says so; never 程序内部错误."""
    path = _demo_with_units(tmp_path / "长.xlsx", {"B2": "很长的单位名称" * 40})
    outcome = convert_workbook("长.xlsx", path.read_bytes(), {"documents": True})
    record = outcome["record"]
    assert record["kind"] != "internal", record["reason"]
    if record["status"] == FAILED:
        assert record["kind"] == "input"
        assert record["reason"].startswith("长.xlsx：由工作簿中的名称") or record["reason"].startswith(
            "长.xlsx：工作簿中的名称（如单位名称、考核名称）超过 255 个字符"
        ), record["reason"]
    else:
        assert sum(1 for rel, _ in outcome["files"] if rel.startswith("反馈单/")) == 30


# --------------------------------------------------------------------------- letters are never lost


def test_letter_named_like_a_temporary_file_is_kept(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _demo_with_units(src / "a.xlsx", {"B2": "青山.perf-tmp-区", "B3": "江北区.tmp"})
    out = tmp_path / "out"
    summary = run_batch(src, out, jobs=1)
    [rec] = summary.files
    assert rec.status == OK
    letters = [o for o in rec.outputs if o.startswith("a/反馈单/")]
    assert len(letters) == rec.units == 30
    on_disk = sorted(p.relative_to(out).as_posix() for p in (out / "a" / "反馈单").iterdir())
    assert on_disk == sorted(letters)
    assert any("perf-tmp" in name for name in on_disk)
    # A second run neither sweeps it away nor converts again.
    again = run_batch(src, out, jobs=1)
    assert [f.status for f in again.files] == ["unchanged"]
    assert sorted(p.relative_to(out).as_posix() for p in (out / "a" / "反馈单").iterdir()) == on_disk


def test_outputs_whose_names_collide_are_all_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    files = [
        ("反馈单/A区.docx", b"1"),
        ("反馈单/a区.docx", b"2"),
        ("反馈单/A区:.docx", b"3"),
        ("反馈单/A区?.docx", b"4"),
    ]
    written = _commit_outputs(out, "x", files)
    assert len(written) == len(set(written)) == 4
    assert len({w.casefold() for w in written}) == 4
    assert sorted((out / w).read_bytes() for w in written) == [b"1", b"2", b"3", b"4"]
    assert written[0] == "x/反馈单/A区.docx"
    assert [p.name for p in sorted((out / "x" / "反馈单").iterdir())] == sorted(Path(w).name for w in written)


def test_letters_overwritten_by_the_renderer_are_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import perf_excel.documents as render
    from perf_excel.documents.letters import LetterRun

    def one_file_for_two(results, out_dir, **kwargs):
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "同名_反馈单.docx"
        path.write_bytes(b"x")
        return LetterRun(files=[path, path])

    monkeypatch.setattr(render, "render_letters", one_file_for_two)
    monkeypatch.setattr(render, "render_bulletin", lambda results, out, **kwargs: out / "通报.docx")
    warnings = batch._render_documents(object(), tmp_path, pdf=False)
    assert warnings == ["有 1 份反馈单与其他单位的反馈单文件名相同而被覆盖，请检查单位编码和名称是否重复"]


# --------------------------------------------------------------------------- a full disk


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_for_outputs_fails_the_files_and_the_summary_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    shutil.copy(DEMO, src / "b.xlsx")
    monkeypatch.setattr(batch, "_commit_outputs", lambda *a, **k: _enospc())
    out = tmp_path / "out"
    summary = run_batch(src, out, jobs=1, converter=quick_converter)
    assert [(f.source, f.status, f.kind) for f in summary.files] == [
        ("a.xlsx", FAILED, "output"),
        ("b.xlsx", FAILED, "output"),
    ]
    assert summary.files[0].reason == "a.xlsx：无法写入输出 a（磁盘空间不足），此工作簿的输出不完整"
    data = json.loads((out / SUMMARY_JSON).read_text(encoding="utf-8"))
    assert data["counts"]["failed"] == 2 and data["exit_code"] == 1


def test_full_disk_everywhere_still_prints_the_summary(tmp_path: Path, monkeypatch, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    out = tmp_path / "out"
    monkeypatch.setattr(batch.state, "_write_atomic", _enospc)
    monkeypatch.setattr(batch, "convert_workbook", quick_converter)
    code = main(["batch", str(src), "-o", str(out), "--jobs", "1"])
    assert code == 1
    captured = capsys.readouterr()
    assert "[1/1] 失败  a.xlsx：无法写入输出 a（磁盘空间不足），此工作簿的输出不完整" in captured.err
    assert "批量任务的问题：" in captured.err
    assert "batch-summary.json：无法写入汇总（磁盘空间不足）" in captured.err
    assert "batch-summary.xlsx：无法写入汇总（磁盘空间不足）" in captured.err
    assert "无法保存处理记录 manifest.json（磁盘空间不足）；下次运行将重新转换这些工作簿" in captured.err
    assert captured.out.startswith("完成：共 1 个工作簿，成功 0，失败 1")
    assert "汇总文件未能写入" in captured.out
    assert "Traceback" not in captured.err
    assert not (out / SUMMARY_JSON).exists()


# --------------------------------------------------------------------------- permissions


def test_outputs_honour_the_umask(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        run_batch(src, out, jobs=1, converter=quick_converter)
    finally:
        os.umask(old)
    for path in (out / "a" / "结果.xlsx", out / SUMMARY_JSON, out / SUMMARY_XLSX):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_lock_file_planted_as_a_link_is_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The lock file is truncated when taken: a link planted in its place must not empty the victim.
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    out = tmp_path / "out"
    (out / batch.STATE_DIR).mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (out / batch.STATE_DIR / batch.LOCK).symlink_to(victim)
    code = main(["batch", str(src), "-o", str(out), "--results-only"])
    assert code == 1
    assert victim.read_text(encoding="utf-8") == "keep me"
    err = capsys.readouterr().err
    assert "无法在输出文件夹" in err and "创建锁文件" in err
    assert "Traceback" not in err
