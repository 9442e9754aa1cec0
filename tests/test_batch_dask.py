"""The Dask path of the batch: the same folder, summary and exit code on a LocalCluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="dask[distributed] not installed (pip install 'perf-excel[dask]')")

import dask  # noqa: E402
from distributed import LocalCluster  # noqa: E402
from test_batch import DEMO, EXPECTED, crashing_converter, is_complete_zip, make_folder, snapshot  # noqa: E402

from perf_excel.batch import FAILED, OK, SUMMARY_JSON, SUMMARY_XLSX, UNCHANGED, run_batch  # noqa: E402
from perf_excel.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def scheduler():
    # A task whose worker dies is not retried: the crash is reported at once.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        ) as cluster:
            yield cluster.scheduler_address


def test_dask_converts_the_same_folder_the_same_way(scheduler: str, tmp_path: Path) -> None:
    """The folder of test_batch's done test: good ones converted, each bad one reported, exit 1,
    and a re-run does nothing new."""
    src = make_folder(tmp_path)
    out = tmp_path / "dask"
    summary = run_batch(src, out, scheduler=scheduler)
    assert {f.source: (f.status, f.kind) for f in summary.files} == EXPECTED
    assert summary.exit_code == 1
    assert [i["source"] for i in summary.ignored] == ["~$good.xlsx"]
    invalid = next(f for f in summary.files if f.source == "invalid.xlsx")
    assert any((e["sheet"], e["cell"]) == ("数据", "C7") for e in invalid.errors)
    for rec in summary.files:
        if rec.status == OK:
            assert rec.units == 30 and len(rec.outputs) == 32  # results, bulletin, 30 letters
            assert all(is_complete_zip(out / o) for o in rec.outputs)
    assert (out / SUMMARY_JSON).is_file() and (out / SUMMARY_XLSX).is_file()

    before = snapshot(out)
    again = run_batch(src, out, scheduler=scheduler)
    assert {f.source: f.status for f in again.files if f.status != FAILED} == {
        "good.xlsx": UNCHANGED,
        "县区/北区/南城:2025?.xlsx": UNCHANGED,
    }
    assert again.exit_code == 1
    after = snapshot(out)
    assert {k for k in after if before.get(k) != after[k] and not k.startswith(".")} == {SUMMARY_JSON, SUMMARY_XLSX}


def test_dask_cli_exit_code(scheduler: str, tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    assert main(["batch", str(src), "-o", str(tmp_path / "out"), "--scheduler", scheduler, "--results-only"]) == 0
    assert "成功 1" in capsys.readouterr().out


def test_dask_worker_crash_is_reported(scheduler: str, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.xlsx", "crash.xlsx", "b.xlsx"):
        shutil.copy(DEMO, src / name)
    summary = run_batch(
        src, tmp_path / "out", scheduler=scheduler, converter=crashing_converter, timeout=60, documents=False
    )
    status = {f.source: (f.status, f.kind) for f in summary.files}
    assert status == {"a.xlsx": (OK, ""), "b.xlsx": (OK, ""), "crash.xlsx": (FAILED, "crash")}
    assert summary.exit_code == 1


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO, src / "a.xlsx")
    code = main(["batch", str(src), "-o", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:1", "--timeout", "1"])
    assert code == 1
    assert "无法连接 Dask 调度器 tcp://127.0.0.1:1" in capsys.readouterr().err


def test_dask_hung_task_times_out(tmp_path: Path) -> None:
    """The hung task's helper process is killed after --timeout; the others complete (the limit
    leaves room for a good workbook's conversion on a loaded machine)."""
    from test_batch import hanging_converter

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.xlsx", "hang.xlsx", "b.xlsx"):
        shutil.copy(DEMO, src / name)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        summary = run_batch(
            src,
            tmp_path / "out",
            scheduler=cluster.scheduler_address,
            converter=hanging_converter,
            timeout=6,
            documents=False,
        )
    status = {f.source: (f.status, f.kind) for f in summary.files}
    assert status == {"a.xlsx": (OK, ""), "b.xlsx": (OK, ""), "hang.xlsx": (FAILED, "timeout")}
    hang = next(f for f in summary.files if f.source == "hang.xlsx")
    assert hang.reason == "hang.xlsx：处理超过 6 秒仍未完成，已终止（可用 --timeout 调整）"


def test_dask_panic_is_one_failed_input_record(scheduler: str, tmp_path: Path) -> None:
    """A native panic (a BaseException) in a task: reported as the file's input problem, the batch ends."""
    from test_batch_inputs import panicking_converter

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.xlsx", "panic.xlsx"):
        shutil.copy(DEMO, src / name)
    summary = run_batch(src, tmp_path / "out", scheduler=scheduler, converter=panicking_converter, timeout=60)
    status = {f.source: (f.status, f.kind) for f in summary.files}
    assert status == {"a.xlsx": (OK, ""), "panic.xlsx": (FAILED, "input")}
    rec = next(f for f in summary.files if f.source == "panic.xlsx")
    assert rec.reason.startswith(
        "panic.xlsx：读取组件无法处理工作簿中的某个值（TimeDelta::milliseconds out of bounds）"
    )
    assert summary.exit_code == 1
