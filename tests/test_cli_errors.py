"""Usage errors: the library names the argument in its own terms, the command line adds 用法错误 and the flag once."""

from __future__ import annotations

from pathlib import Path

import pytest

from perf_excel.batch import run_batch
from perf_excel.cli import main, usage_text
from perf_excel.core.errors import UsageError


def test_library_names_the_argument_and_the_cli_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        run_batch(tmp_path, tmp_path / "out", jobs=0)
    assert str(info.value) == "jobs 应为正整数，而不是 0"
    assert usage_text(info.value) == "用法错误：--jobs 应为正整数，而不是 0"


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["batch", "IN", "-o", "IN"],
            "用法错误：输出文件夹 IN 不能是输入文件夹 IN 本身或其上级，请另选一个输出文件夹\n",
        ),
        (
            ["batch", "IN", "-o", "OUT", "--pdf", "--results-only"],
            "用法错误：--pdf 需要生成文档，不能与 --results-only 同用\n",
        ),
    ],
)
def test_usage_errors_are_prefixed_once(
    argv: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "IN").mkdir()
    argv = [str(tmp_path / a) if a in ("IN", "OUT") else a for a in argv]
    assert main(argv) == 2
    assert capsys.readouterr().err == expected.replace("IN", str(tmp_path / "IN"))


def test_argparse_errors_are_prefixed_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("用法错误：") and err.count("用法错误") == 1


def test_library_advice_names_the_argument_and_the_cli_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from perf_excel.core.errors import OutputError
    from perf_excel.xlsx.blank import new_workbook, save_new

    target = tmp_path / "考核.xlsx"
    target.write_bytes(b"keep")
    with pytest.raises(OutputError) as info:
        save_new(new_workbook(), target)
    assert str(info.value) == "考核.xlsx：文件已存在，未覆盖；请换一个文件名，或加 overwrite 覆盖"
    assert main(["new", str(target)]) == 1
    assert capsys.readouterr().err == "考核.xlsx：文件已存在，未覆盖；请换一个文件名，或加 --force 覆盖\n"
    assert target.read_bytes() == b"keep"
