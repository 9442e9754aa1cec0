"""The Dask path of the batch: the same folder, summary and exit code on a LocalCluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="dask[distributed] not installed (pip install 'perf-excel[dask]')")

import dask  # noqa: E402
from distributed import LocalCluster  # noqa: E402
from test_batch import DEMO, crashing_converter, make_folder, snapshot  # noqa: E402

from perf_excel.batch import FAILED, OK, SUMMARY_JSON, SUMMARY_XLSX, UNCHANGED, run_batch  # noqa: E402
from perf_excel.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def scheduler():
    # A task whose worker dies is not retried: the crash is reported at once.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as cluster:
            yield cluster.scheduler_address


def test_dask_same_result_as_local(scheduler: str, tmp_path: Path) -> None:
    src = make_folder(tmp_path)
    local = run_batch(src, tmp_path / "local", jobs=2)
    remote = run_batch(src, tmp_path / "dask", scheduler=scheduler)
    assert remote.exit_code == local.exit_code == 1

    def essence(summary):
        return [(f.source, f.status, f.kind, f.units, f.grades, f.outputs, len(f.errors)) for f in summary.files]

    outputs = [(f.source, [o.replace("local", "dask") for o in f.outputs]) for f in local.files]
    assert [(f.source, f.outputs) for f in remote.files] == outputs
    assert essence(remote) == essence(local)
    assert (tmp_path / "dask" / "good" / "结果.xlsx").is_file()
    assert (tmp_path / "dask" / SUMMARY_JSON).is_file() and (tmp_path / "dask" / SUMMARY_XLSX).is_file()

    before = snapshot(tmp_path / "dask")
    again = run_batch(src, tmp_path / "dask", scheduler=scheduler)
    assert {f.source: f.status for f in again.files if f.status != FAILED} == {
        "good.xlsx": UNCHANGED,
        "县区/北区/南城:2025?.xlsx": UNCHANGED,
    }
    assert again.exit_code == 1
    after = snapshot(tmp_path / "dask")
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
    code = main(["batch", str(src), "-o", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:1", "--timeout", "3"])
    assert code == 1
    assert "无法连接 Dask 调度器 tcp://127.0.0.1:1" in capsys.readouterr().err
