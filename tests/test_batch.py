"""Batch conversion: discovery, safe names, isolation of bad files, re-runs, lock, crashes, CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from perf_excel import batch
from perf_excel.batch import (
    FAILED,
    OK,
    SUMMARY_JSON,
    SUMMARY_XLSX,
    UNCHANGED,
    _assign_output_dirs,
    _commit_outputs,
    _OutLock,
    _write_atomic,
    convert_workbook,
    discover,
    run_batch,
    safe_relpath,
)
from perf_excel.cli import main
from perf_excel.core.errors import OutputError, TemplateError

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"
WINDOWS_FORBIDDEN = set('<>:"\\|?*') | {chr(i) for i in range(32)}
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def windows_safe(component: str) -> bool:
    """An independent statement of Windows' rules for one path component."""
    return (
        component not in ("", ".", "..")
        and not (set(component) & WINDOWS_FORBIDDEN)
        and "/" not in component
        and not component.endswith((" ", "."))
        and component.split(".")[0].upper() not in WINDOWS_RESERVED
        and len(component.encode("utf-8")) <= 255
    )


# --------------------------------------------------------------------------- helpers to build inputs


def make_invalid(path: Path) -> None:
    """The demo workbook with a decimal comma in 数据!C7 (a number the reader must refuse)."""
    wb = openpyxl.load_workbook(DEMO)
    wb["数据"]["C7"] = "12,5"
    wb.save(path)


#: Unit names a clerk might type that must not become paths (the letters are named after units).
HOSTILE_NAMES = {"B2": "../../逃逸区", "B3": "江北\\区:CON", "B4": 'A<>|?*"区. '}


def make_hostile(path: Path) -> None:
    """The demo workbook with unit names full of path separators and characters Windows forbids."""
    wb = openpyxl.load_workbook(DEMO)
    for cell, name in HOSTILE_NAMES.items():
        wb["单位"][cell] = name
    wb.save(path)


def make_small(path: Path, keep: frozenset[str] = frozenset({"X01", "X02", "B01", "B02", "Q01", "Q02"})) -> None:
    """The demo workbook cut down to two units per category (fewer letters where only the plumbing is tested)."""
    wb = openpyxl.load_workbook(DEMO)
    for sheet in ("单位", "数据", "加减分", "否决", "修正"):
        ws = wb[sheet]
        for row in range(ws.max_row, 1, -1):
            code = ws.cell(row, 1).value
            if code is not None and str(code).strip() not in keep:
                ws.delete_rows(row)
    wb.save(path)


def make_corrupt(path: Path) -> None:
    path.write_bytes(b"this is not a workbook at all")


def make_truncated(path: Path) -> None:
    path.write_bytes(DEMO.read_bytes()[:3000])  # a zip cut short: starts with PK, no directory


def make_folder(root: Path) -> Path:
    src = root / "in"
    (src / "县区" / "北区").mkdir(parents=True)
    shutil.copy(DEMO, src / "good.xlsx")
    make_hostile(src / "县区" / "北区" / "南城:2025?.xlsx")  # a name forbidden on Windows
    make_invalid(src / "invalid.xlsx")
    make_corrupt(src / "corrupt.xlsx")
    make_truncated(src / "县区" / "truncated.xlsm")
    shutil.copy(DEMO, src / "~$good.xlsx")  # Excel's lock file: skipped
    (src / "notes.txt").write_text("不是工作簿", encoding="utf-8")
    return src


#: What make_folder's workbooks give: (status, kind of failure).
EXPECTED = {
    "corrupt.xlsx": (FAILED, "input"),
    "good.xlsx": (OK, ""),
    "invalid.xlsx": (FAILED, "input"),
    "县区/truncated.xlsm": (FAILED, "input"),
    "县区/北区/南城:2025?.xlsx": (OK, ""),
}


def snapshot(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def is_complete_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except zipfile.BadZipFile:
        return False


# Test converters: module level so that spawned workers can import them.


def crashing_converter(name: str, data: bytes, options: dict) -> dict:
    if "crash" in name:
        os._exit(3)
    return convert_workbook(name, data, options)


def hanging_converter(name: str, data: bytes, options: dict) -> dict:
    if "hang" in name:
        time.sleep(120)
    return convert_workbook(name, data, options)


def logging_converter(name: str, data: bytes, options: dict) -> dict:
    """Sleeps 0.5 s and records which process ran the file, and when."""
    start = time.time()
    time.sleep(0.5)
    log = Path(os.environ["PERF_EXCEL_TEST_LOG"])
    (log / f"{name}.json").write_text(json.dumps([os.getpid(), start, time.time()]))
    return convert_workbook(name, data, options)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    [
        "正常名称",
        "a:b",
        "a/b",
        "a\\b",
        '<>"|?*',
        "tab\there",
        "..",
        ".",
        "",
        "   ",
        "名称. ",
        "CON",
        "con.docx",
        "Lpt1.txt",
    ],
)
def test_path_components_are_windows_safe(name: str) -> None:
    rel = safe_relpath(f"dir/{name}/x.docx")
    assert all(windows_safe(part) for part in rel.parts), rel
    assert ".." not in rel.parts


def test_path_components_follow_the_shared_file_name_rule() -> None:
    """One rule for every output name: batch's folders and files are named as ``report`` names them."""
    from perf_excel.files.outputs import safe_name

    for name in ("a:b", "江北\\区:CON", 'A<>|?*"区. ', "A01 北区（试点）", "单位" * 100 + ".docx"):
        assert safe_relpath(name).parts[-1] == safe_name(name.replace("\\", "/").split("/")[-1])


@pytest.mark.parametrize(
    "relpath, expected",
    [
        ("反馈单/A01 北区.docx", "反馈单/A01 北区.docx"),
        ("../../etc/passwd", "_/_/etc/passwd"),
        ("..\\..\\x.docx", "_/_/x.docx"),
        ("/abs/x.docx", "abs/x.docx"),
        ("a/./b//c", "a/b/c"),
        ("", "_"),
    ],
)
def test_safe_relpath(relpath: str, expected: str) -> None:
    assert safe_relpath(relpath).as_posix() == expected


def test_commit_outputs_never_leave_out_dir(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    hostile = ["../escape.docx", "..\\..\\escape2.docx", "/tmp/abs.docx", "反馈单/../../../x.docx", "a:b|c?.docx"]
    written = _commit_outputs(out, "../../up", [(r, b"x") for r in hostile])
    assert len(written) == len(hostile)
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and out not in p.parents]
    assert outside == []
    for rel in written:
        assert all(windows_safe(part) for part in rel.split("/")), rel
        assert (out / rel).read_bytes() == b"x"


@pytest.mark.parametrize(
    "rels, expected",
    [
        (["a.xlsx", "b.xlsm"], ["a", "b"]),
        (["a.xlsx", "a.xlsm"], ["a", "a~2"]),
        (["a.xlsx", "A.xlsm"], ["a", "A~2"]),
        (["Dept.xlsx", "dept.xlsx"], ["Dept", "dept~2"]),
        (["sub/CON.xlsx"], ["sub/_CON"]),
        (["batch-summary.json.xlsx"], ["batch-summary.json~2"]),
        (["...xlsx"], ["_"]),
    ],
)
def test_output_dirs_are_safe_and_unique(rels: list[str], expected: list[str]) -> None:
    assert _assign_output_dirs(rels) == expected


# --------------------------------------------------------------------------- discovery


def test_discover_finds_workbooks_recursively_and_skips_lock_files(tmp_path: Path) -> None:
    src = make_folder(tmp_path)
    (src / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (src / ".hidden").mkdir()
    shutil.copy(DEMO, src / ".hidden" / "x.xlsx")
    out = src / "out"  # an output folder inside the input folder is not input
    out.mkdir()
    shutil.copy(DEMO, out / "结果.xlsx")
    found, ignored = discover(src, exclude=out)
    assert [rel for _, rel in found] == [
        "corrupt.xlsx",
        "good.xlsx",
        "invalid.xlsx",
        "县区/truncated.xlsm",
        "县区/北区/南城:2025?.xlsx",
    ]
    assert {i["source"] for i in ignored} == {"~$good.xlsx", "old.xls"}


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("good*", ["good.xlsx"]),
        ("县区/*", ["县区/truncated.xlsm", "县区/北区/南城:2025?.xlsx"]),
        ("*.xlsm", ["县区/truncated.xlsm"]),
    ],
)
def test_discover_pattern(tmp_path: Path, pattern: str, expected: list[str]) -> None:
    src = make_folder(tmp_path)
    found, _ = discover(src, pattern=pattern)
    assert [rel for _, rel in found] == expected


# --------------------------------------------------------------------------- the done test


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, batch.BatchSummary]:
    root = tmp_path_factory.mktemp("batch")
    src = make_folder(root)
    out = root / "out"
    summary = run_batch(src, out, jobs=2)
    return src, out, summary


def test_good_converted_bad_reported(converted) -> None:
    src, out, summary = converted
    status = {f.source: (f.status, f.kind) for f in summary.files}
    assert status == EXPECTED
    assert summary.exit_code == 1
    assert [i["source"] for i in summary.ignored] == ["~$good.xlsx"]
    # The results workbook of each good one, in a folder named after it (sanitised by the shared rule).
    from perf_excel.files.outputs import safe_name

    for folder in ("good", "县区/北区/" + safe_name("南城:2025?")):
        results = out / folder / "结果.xlsx"
        assert results.is_file(), folder
        ws = openpyxl.load_workbook(results, read_only=True)["结果"]
        assert sum(1 for _ in ws.iter_rows(min_row=2)) == 30
    assert not (out / "invalid").exists() and not (out / "corrupt").exists()


def test_documents_written_beside_the_results(converted) -> None:
    _, out, summary = converted
    for rec in summary.files:
        if rec.status != OK:
            continue
        folder = out / rec.output_dir
        letters = sorted((folder / "反馈单").glob("*.docx"))
        bulletins = [p for p in folder.glob("*.docx")]
        assert len(letters) == 30 and len(bulletins) == 1, folder
        assert sorted(rec.outputs) == sorted(p.relative_to(out).as_posix() for p in folder.rglob("*") if p.is_file())
        assert all(is_complete_zip(out / o) for o in rec.outputs)


def test_hostile_unit_names_stay_inside_and_are_windows_safe(converted) -> None:
    root = converted[0].parent
    _, out, summary = converted
    files = [p for p in root.rglob("*") if p.is_file()]
    assert all(p.is_relative_to(out) or p.is_relative_to(root / "in") for p in files)
    rec = next(f for f in summary.files if f.source == "县区/北区/南城:2025?.xlsx")
    for rel in rec.outputs:
        assert all(windows_safe(part) for part in rel.split("/")), rel
    names = " ".join(rec.outputs)
    assert "逃逸区" in names and "江北" in names  # the letters of the renamed units exist


def test_good_record_has_units_grades_and_warnings(converted) -> None:
    _, _, summary = converted
    good = next(f for f in summary.files if f.source == "good.xlsx")
    # The demo workbook: 30 units; Q05 has a blank 群众满意度 (数据!M28), a warning with its cell.
    assert good.units == 30
    assert sum(good.grades.values()) == 30
    assert list(good.grades)[0] == "优秀"
    assert any(w["sheet"] == "数据" and w["cell"] == "M28" for w in good.warnings)
    assert good.seconds > 0


@pytest.mark.parametrize(
    "source, kind, cell, words",
    [
        ("invalid.xlsx", "input", ("数据", "C7"), "12,5"),
        ("corrupt.xlsx", "input", None, "损坏"),
        ("县区/truncated.xlsm", "input", None, "truncated.xlsm"),
    ],
)
def test_bad_records_name_the_reason(converted, source: str, kind: str, cell, words: str) -> None:
    _, _, summary = converted
    rec = next(f for f in summary.files if f.source == source)
    assert rec.kind == kind
    assert words in rec.reason or any(words in e["text"] for e in rec.errors)
    if cell:
        assert any((e["sheet"], e["cell"]) == cell for e in rec.errors), rec.errors
    assert rec.outputs == []


def test_summary_files_agree_with_the_result(converted) -> None:
    _, out, summary = converted
    data = json.loads((out / SUMMARY_JSON).read_text(encoding="utf-8"))
    assert data["exit_code"] == 1
    assert data["counts"] == {"total": 5, "ok": 2, "failed": 3, "unchanged": 0, "not_run": 0, "ignored": 1}
    assert [f["source"] for f in data["files"]] == [f.source for f in summary.files]
    wb = openpyxl.load_workbook(out / SUMMARY_XLSX, read_only=True)
    assert wb.sheetnames == ["汇总", "问题", "说明"]
    rows = list(wb["汇总"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("文件", "状态", "单位数")
    by_file = {r[0]: r for r in rows[1:]}
    assert by_file["good.xlsx"][1] == "成功" and by_file["good.xlsx"][2] == 30
    assert by_file["invalid.xlsx"][1] == "失败"
    assert by_file["~$good.xlsx"][1] == "忽略"
    problems = list(wb["问题"].iter_rows(values_only=True))[1:]
    assert ("invalid.xlsx", "错误", "数据", "C7") in {r[:4] for r in problems}


def test_rerun_does_nothing_new(converted, tmp_path: Path) -> None:
    src, out, _ = converted
    before = snapshot(out)
    summary = run_batch(src, out, jobs=2)
    after = snapshot(out)
    status = {f.source: f.status for f in summary.files}
    assert status["good.xlsx"] == UNCHANGED and status["县区/北区/南城:2025?.xlsx"] == UNCHANGED
    assert status["invalid.xlsx"] == FAILED  # still bad, still reported
    assert summary.exit_code == 1
    changed = {k for k in after if before.get(k) != after[k] and not k.startswith(".perf-excel-batch/")}
    # Only the summary changes; no document is written again.
    assert changed == {SUMMARY_JSON, SUMMARY_XLSX}
    assert set(after) == set(before)
    unchanged = next(f for f in summary.files if f.source == "good.xlsx")
    assert unchanged.units == 30 and "good/结果.xlsx" in unchanged.outputs and len(unchanged.outputs) == 32


def test_changed_workbook_and_force_convert_again(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    shutil.copy(DEMO, src / "b.xlsx")
    out = tmp_path / "out"
    run_batch(src, out, jobs=1, documents=False)
    make_invalid(src / "b.xlsx")
    second = run_batch(src, out, jobs=1, documents=False)
    assert {f.source: f.status for f in second.files} == {"a.xlsx": UNCHANGED, "b.xlsx": FAILED}
    shutil.copy(DEMO, src / "b.xlsx")
    third = run_batch(src, out, jobs=1, force=True, documents=False)
    assert {f.source: f.status for f in third.files} == {"a.xlsx": OK, "b.xlsx": OK}
    assert third.exit_code == 0
    # Deleted outputs are noticed: the workbook is converted again.
    (out / "a" / "结果.xlsx").unlink()
    fourth = run_batch(src, out, jobs=1, documents=False)
    assert {f.source: f.status for f in fourth.files} == {"a.xlsx": OK, "b.xlsx": UNCHANGED}


def test_stale_outputs_of_a_source_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    first = _commit_outputs(out, "a", [("结果.xlsx", b"1"), ("反馈单/A01.docx", b"1")])
    second = _commit_outputs(out, "a", [("结果.xlsx", b"2")])
    batch._remove_stale(out, first, second)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["a", "a/结果.xlsx"]


# --------------------------------------------------------------------------- safety


def test_atomic_write_leaves_nothing_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "结果.xlsx"
    target.write_bytes(b"old")

    def fail(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C between writing and renaming

    monkeypatch.setattr(batch.os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        _write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["结果.xlsx"]


@pytest.mark.skipif(os.name == "nt", reason="killpg and SIGKILL are POSIX")
def test_killed_batch_leaves_only_complete_files(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(10):
        shutil.copy(DEMO, src / f"w{i:02}.xlsx")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "perf_excel.cli",
        "batch",
        str(src),
        "-o",
        str(out),
        "--jobs",
        "2",
        "-q",
        "--results-only",
    ]
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(out.glob("w*/结果.xlsx"))) >= 3:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, mid-run
    proc.wait()
    for path in out.rglob("*"):
        if path.is_file() and path.suffix == ".xlsx":
            assert is_complete_zip(path), path
    # The next run sweeps temporaries, finishes the rest and skips what was done.
    summary = run_batch(src, out, jobs=2, documents=False)
    assert summary.exit_code == 0
    assert summary.count(OK) + summary.count(UNCHANGED) == 10
    assert summary.count(OK) >= 1  # the kill came mid-run
    assert not [p for p in out.rglob("*") if batch._TMP_MARK in p.name]


@pytest.mark.skipif(os.name == "nt", reason="killpg is POSIX")
def test_ctrl_c_stops_at_once_and_the_rerun_resumes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(10):
        shutil.copy(DEMO, src / f"w{i:02}.xlsx")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "perf_excel.cli", "batch", str(src), "-o", str(out), "--jobs", "2", "--results-only"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(out.glob("w*/结果.xlsx"))) >= 3:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "已中断" in err
    data = json.loads((out / SUMMARY_JSON).read_text(encoding="utf-8"))
    assert data["interrupted"] is True and data["counts"]["not_run"] >= 1
    done = data["counts"]["ok"]
    summary = run_batch(src, out, jobs=2, documents=False)
    assert summary.count(UNCHANGED) == done and summary.count(OK) == 10 - done


def test_second_batch_on_same_out_dir_is_refused(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    out = tmp_path / "out"
    state = out / ".perf-excel-batch"
    state.mkdir(parents=True)
    holder = _OutLock(state)
    holder.acquire()
    try:
        with pytest.raises(OutputError, match="正被另一个批量任务使用"):
            run_batch(src, out, jobs=1, documents=False)
        assert main(["batch", str(src), "-o", str(out)]) == 1
        err = capsys.readouterr().err
        assert "正被另一个批量任务使用" in err and f"进程 {os.getpid()}" in err
    finally:
        holder.release()
    assert run_batch(src, out, jobs=1, documents=False).exit_code == 0


@pytest.mark.skipif(os.name == "nt", reason="fcntl is POSIX")
def test_file_system_without_locks_still_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import fcntl

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    assert run_batch(src, tmp_path / "out", jobs=1, documents=False).exit_code == 0


@pytest.mark.parametrize(
    "exc, kind, words",
    [
        (TemplateError("letter.docx：数据中没有 “grade_label”"), "template", "模板错误：letter.docx"),
        (OutputError("磁盘已满"), "output", "磁盘已满"),
        (ZeroDivisionError("division by zero"), "internal", "程序内部错误（ZeroDivisionError"),
    ],
)
def test_document_errors_are_one_failed_record(monkeypatch: pytest.MonkeyPatch, exc, kind: str, words: str) -> None:
    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(batch.worker, "_render_documents", broken)
    outcome = convert_workbook("县区/a.xlsx", DEMO.read_bytes(), {"documents": True})
    record = outcome["record"]
    assert (record["status"], record["kind"]) == (FAILED, kind)
    assert record["reason"].startswith("a.xlsx：") and words in record["reason"]
    assert record["errors"] and outcome["files"] == []


# --------------------------------------------------------------------------- crashes and hangs


def test_crashed_worker_is_reported_and_others_complete(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.xlsx", "crash.xlsx", "b.xlsx", "c.xlsx"):
        shutil.copy(DEMO, src / name)
    t0 = time.monotonic()
    summary = run_batch(src, tmp_path / "out", jobs=2, converter=crashing_converter, timeout=60, documents=False)
    assert time.monotonic() - t0 < 50
    status = {f.source: (f.status, f.kind) for f in summary.files}
    assert status == {
        "a.xlsx": (OK, ""),
        "b.xlsx": (OK, ""),
        "c.xlsx": (OK, ""),
        "crash.xlsx": (FAILED, "crash"),
    }
    assert "进程意外退出" in next(f.reason for f in summary.files if f.source == "crash.xlsx")
    assert summary.exit_code == 1


def test_hung_worker_times_out_and_others_complete(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.xlsx", "hang.xlsx", "b.xlsx"):
        shutil.copy(DEMO, src / name)
    t0 = time.monotonic()
    summary = run_batch(src, tmp_path / "out", jobs=2, converter=hanging_converter, timeout=3, documents=False)
    assert time.monotonic() - t0 < 30
    status = {f.source: (f.status, f.kind) for f in summary.files}
    assert status == {"a.xlsx": (OK, ""), "b.xlsx": (OK, ""), "hang.xlsx": (FAILED, "timeout")}


# --------------------------------------------------------------------------- command line


def test_cli_exit_codes_and_plain_log(converted, tmp_path: Path, capsys) -> None:
    src, _, _ = converted
    out = tmp_path / "out"
    assert main(["batch", str(src), "-o", str(out), "--jobs", "2", "--results-only"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    # Not a terminal: one line per file, then every failure listed.
    assert sum(1 for line in lines if line.startswith("[")) == 5
    assert any(line.startswith("[") and "成功  good.xlsx（30 个单位" in line for line in lines)
    assert "失败的工作簿（3 个）：" in captured.err
    assert "invalid.xlsx 数据!C7" in captured.err
    assert captured.out.startswith("完成：共 5 个工作簿，成功 2，失败 3")


def test_cli_all_good_exits_0_and_quiet_prints_nothing(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    assert main(["batch", str(src), "-o", str(tmp_path / "out"), "-q", "--jobs", "1", "--results-only"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize(
    "argv, words",
    [
        (["batch", "{missing}", "-o", "{out}"], "不存在"),
        (["batch", "{src}", "-o", "{out}", "--jobs", "0"], "正整数"),
        (["batch", "{src}", "-o", "{out}", "--jobs", "两"], "正整数"),
        (["batch", "{src}"], "-o"),
        (["batch", "{src}", "-o", "{out}", "-q", "-v"], "not allowed"),
        (["batch", "{src}", "-o", "{out}", "--scheduler", "localhost"], "tcp://"),
        (["batch", "{src}", "-o", "{file}"], "是一个文件"),
        (["batch", "{src}", "-o", "{src}"], "不能是输入文件夹"),
        (["batch", "{src}", "-o", "{parent}"], "不能是输入文件夹"),
    ],
)
def test_cli_usage_errors_exit_2(tmp_path: Path, capsys, argv: list[str], words: str) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (tmp_path / "f.txt").write_text("x")
    places = {"missing": tmp_path / "nope", "out": tmp_path / "out", "src": src, "file": tmp_path / "f.txt"}
    places["parent"] = tmp_path
    assert main([a.format(**places) for a in argv]) == 2
    assert words in capsys.readouterr().err


def test_jobs_2_runs_two_workers_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two worker processes, whose work overlaps in time (wall-clock speed-up is measured, not tested:
    this machine is shared)."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        shutil.copy(DEMO, src / f"w{i}.xlsx")
    log = tmp_path / "log"
    log.mkdir()
    monkeypatch.setenv("PERF_EXCEL_TEST_LOG", str(log))
    summary = run_batch(src, tmp_path / "out", jobs=2, converter=logging_converter, documents=False)
    assert summary.exit_code == 0
    runs = [json.loads(p.read_text()) for p in log.iterdir()]
    assert len(runs) == 4 and len({pid for pid, _, _ in runs}) == 2
    overlap = max(min(e1, e2) - max(s1, s2) for p1, s1, e1 in runs for p2, s2, e2 in runs if p1 != p2)
    assert overlap > 0.2


# --------------------------------------------------------------------------- PDF


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed: no PDF test")
def test_pdf_then_without_pdf(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    make_small(src / "a.xlsx")
    out = tmp_path / "out"
    first = run_batch(src, out, jobs=1, pdf=True)
    assert first.exit_code == 0
    pdfs = sorted((out / "a" / "PDF").glob("*.pdf"))
    assert len(pdfs) == 7  # the bulletin and the letters of 6 units
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    # Other options, other outputs: converted again, and the PDFs it no longer makes are removed.
    second = run_batch(src, out, jobs=1)
    assert [f.status for f in second.files] == [OK]
    assert not (out / "a" / "PDF").exists()
    assert len(list((out / "a" / "反馈单").glob("*.docx"))) == 6


def test_terminal_progress_bar_prints_failures_above_it() -> None:
    import io

    from perf_excel.batch import FileRecord
    from perf_excel.cli.batch import _Reporter

    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    reporter = _Reporter(stream)
    reporter("start", 3)
    assert reporter._bar is not None
    reporter("file", FileRecord("a.xlsx", "a", status=UNCHANGED))
    reporter("file", FileRecord("b.xlsx", "b", status=OK, units=30, grades={"优秀": 5}))
    reporter("file", FileRecord("坏.xlsx", "坏", status=FAILED, reason="坏.xlsx：文件已损坏"))
    assert reporter._bar.tasks[0].total == 2 and reporter._bar.tasks[0].completed == 2
    reporter.close()
    text = stream.getvalue()
    assert "[3/3] 失败  坏.xlsx：文件已损坏" in text
    assert "成功  b.xlsx" not in text  # successes are counted in the bar, not listed (unless --verbose)
