"""perf_excel.files.outputs: file names made from data, unique names, atomic writes, modes, same-file checks.

Expected names are worked out by hand from the rules (``_`` for a forbidden character, ``_``
in front of ``-``/``.``/device names, invisible characters dropped, a cut at 150 UTF-8 bytes
with ``~`` and the first 8 hex digits of the SHA-1 of the whole name).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest

from perf_excel.core.errors import OutputError
from perf_excel.files import outputs
from perf_excel.files.outputs import (
    UniqueNames,
    atomic_output,
    protect_inputs,
    replace_with_backup,
    safe_name,
    same_file,
    write_atomic,
)


def sha(text: str, n: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


@pytest.mark.parametrize(
    ("name", "suffix", "expected"),
    [
        # An option for the program the name is passed to.
        ("--accept=socket,host=0,port=2002;urp;", ".docx", "_--accept=socket,host=0,port=2002;urp;.docx"),
        ("-", "", "_-"),
        ("-o结果", ".pdf", "_-o结果.pdf"),
        # Hidden files and climbing paths.
        (".hidden", "", "_.hidden"),
        ("..", ".docx", "_.docx"),
        ("../../etc/passwd", "", "_.._.._etc_passwd"),
        ("a/b\\c", ".docx", "a_b_c.docx"),
        # Control characters become _, bidi and zero-width characters vanish.
        ("a\nb\x00c\x7fd", "", "a_b_c_d"),
        ("乙\u202excod.exe", "", "乙xcod.exe"),
        ("a\u202ab\u2066c\u2069d\u200ee\u200ff\u061cg", ".docx", "abcdefg.docx"),
        ("零\u200b宽\u200c字\u200d符\u2060\ufeff", ".docx", "零宽字符.docx"),
        # Windows device names, with or without an extension, any case.
        ("nul.txt", "", "_nul.txt"),
        ("COM¹", ".docx", "_COM¹.docx"),
        ("conout$", "", "_conout$"),
        ("Lpt9", ".pdf", "_Lpt9.pdf"),
        ("CONSOLE", ".pdf", "CONSOLE.pdf"),
        # Trailing dots and spaces (Windows drops them), nothing left.
        ("名称. ", ".docx", "名称.docx"),
        ("\u200b", ".docx", "_.docx"),
        ("#N/A", ".docx", "#N_A.docx"),
    ],
)
def test_safe_name(name: str, suffix: str, expected: str) -> None:
    assert safe_name(name, suffix) == expected
    assert safe_name(expected) == expected  # idempotent: a safe name comes back unchanged


def test_long_chinese_name_is_cut_to_the_byte_budget_with_a_hash() -> None:
    name = "单" * 90  # 270 bytes
    # 150 - len("~12345678") - len(".docx") = 136 bytes: 45 characters of 3 bytes.
    expected = "单" * 45 + "~" + sha(name) + ".docx"
    assert safe_name(name, ".docx") == expected
    assert len(expected.encode()) == 149


def test_long_ascii_name_keeps_its_own_extension() -> None:
    name = "x" * 300 + ".docx"
    # Without a suffix given, the name's own short extension is kept: 150 - 9 - 5 = 136 x.
    assert safe_name(name) == "x" * 136 + "~" + sha("x" * 300) + ".docx"


def test_long_names_differing_only_at_the_end_stay_apart() -> None:
    a, b = safe_name("单" * 90, ".docx"), safe_name("单" * 90 + "乙", ".docx")
    assert a != b and len(a.encode()) <= 150 and len(b.encode()) <= 150
    assert safe_name(a) == a


def test_unique_names_case_insensitive_with_the_key_hash_then_a_counter() -> None:
    names = UniqueNames()
    assert names.claim("A:1_甲单位_反馈单", ".docx", key="A:1") == "A_1_甲单位_反馈单.docx"
    assert names.claim("A1_甲单位_反馈单", ".docx", key="A1") == "A1_甲单位_反馈单.docx"
    assert names.claim("A_1_甲单位_反馈单", ".docx", key="A_1") == f"A_1_甲单位_反馈单~{sha('A_1', 6)}.docx"
    # Differs only in case: Windows and macOS would write one file.
    assert names.claim("a_1_甲单位_反馈单", ".docx", key="a_1") == f"a_1_甲单位_反馈单~{sha('a_1', 6)}.docx"
    assert names.claim("A/1_甲单位_反馈单", ".docx", key="A/1") == f"A_1_甲单位_反馈单~{sha('A/1', 6)}.docx"
    # Same name and same key again: the counter.
    assert names.claim("A/1_甲单位_反馈单", ".docx", key="A/1") == "A_1_甲单位_反馈单~2.docx"
    assert names.claim("A/1_甲单位_反馈单", ".docx") == "A_1_甲单位_反馈单~3.docx"
    assert len(names) == 7


def test_unique_long_names_stay_within_the_budget() -> None:
    names = UniqueNames()
    got = [names.claim("单" * 90, ".docx") for _ in range(12)]
    assert len({g.casefold() for g in got}) == 12
    assert all(len(g.encode()) <= 150 and g.endswith(".docx") for g in got)


def test_same_file(tmp_path: Path) -> None:
    a = tmp_path / "考核表.xlsx"
    a.write_bytes(b"x")
    (tmp_path / "link.xlsx").symlink_to(a)
    os.link(a, tmp_path / "hard.xlsx")
    (tmp_path / "other.xlsx").write_bytes(b"x")
    assert same_file(tmp_path / "link.xlsx", a)
    assert same_file(tmp_path / "hard.xlsx", a)
    assert same_file(tmp_path / "sub" / ".." / "考核表.xlsx", a)
    assert not same_file(tmp_path / "other.xlsx", a)
    assert not same_file(tmp_path / "new.xlsx", a)
    # A dangling link to a file not yet written (the backup) is that file.
    (tmp_path / "bak_link.xlsx").symlink_to(tmp_path / "考核表.xlsx.bak")
    assert same_file(tmp_path / "bak_link.xlsx", tmp_path / "考核表.xlsx.bak")


# --------------------------------------------------------------------------- atomic writes


def test_planted_links_are_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"secret")
    out = tmp_path / "out"
    out.mkdir()
    # The old predictable temporary name, and the target itself, point at the victim.
    (out / ".通报.docx.tmp").symlink_to(victim)
    (out / "通报.docx").symlink_to(victim)
    write_atomic(out / "通报.docx", b"new")
    assert victim.read_bytes() == b"secret"
    assert not (out / "通报.docx").is_symlink() and (out / "通报.docx").read_bytes() == b"new"
    assert sorted(p.name for p in out.iterdir()) == [".通报.docx.tmp", "通报.docx"]


def test_new_file_gets_the_umask_mode_and_a_replaced_file_keeps_its_own(tmp_path: Path, umask_022) -> None:
    new = write_atomic(tmp_path / "new.docx", b"x")
    assert stat.S_IMODE(new.stat().st_mode) == 0o644  # mkstemp alone makes 0600
    old = tmp_path / "old.docx"
    old.write_bytes(b"old")
    old.chmod(0o640)
    write_atomic(old, b"new")
    assert stat.S_IMODE(old.stat().st_mode) == 0o640 and old.read_bytes() == b"new"


def test_full_disk_leaves_nothing_half_written(tmp_path: Path) -> None:
    target = tmp_path / "结果.xlsx"
    target.write_bytes(b"old")

    with pytest.raises(OutputError) as exc, atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert exc.value.message == f"{target}：写入失败（磁盘空间不足），未留下写了一半的文件"
    assert [p.name for p in tmp_path.iterdir()] == ["结果.xlsx"] and target.read_bytes() == b"old"


def test_folder_we_cannot_write_into_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(outputs.tempfile, "mkstemp", denied)
    with pytest.raises(OutputError) as exc:
        write_atomic(tmp_path / "结果.xlsx", b"x")
    assert exc.value.message == f"{tmp_path}：输出文件夹不可写（权限不足），未写出 结果.xlsx"
    with pytest.raises(OutputError) as exc:
        write_atomic(tmp_path / "没有" / "结果.xlsx", b"x")
    assert exc.value.message == f"{tmp_path / '没有'}：输出文件夹不可写（权限不足），未写出 结果.xlsx"


def test_protected_inputs_and_their_backups_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "考核表.xlsx"
    source.write_bytes(b"data")
    with protect_inputs([str(source)]):
        with pytest.raises(OutputError) as exc:
            write_atomic(tmp_path / "考核表.xlsx", b"x")
        assert exc.value.message == (
            f"{tmp_path / '考核表.xlsx'}：这是输入文件 考核表.xlsx，不能作为输出，已停止（该文件未改动）；请换一个输出位置"
        )
        with pytest.raises(OutputError, match="这是输入文件的备份 考核表.xlsx.bak"):
            write_atomic(tmp_path / "考核表.xlsx.bak", b"x")
    assert source.read_bytes() == b"data" and not (tmp_path / "考核表.xlsx.bak").exists()
    write_atomic(tmp_path / "考核表.xlsx.bak", b"x")  # outside the block: no longer protected


def test_replace_with_backup_keeps_the_mode_and_refuses_a_read_only_file(tmp_path: Path) -> None:
    book = tmp_path / "考核表.xlsx"
    book.write_bytes(b"old")
    book.chmod(0o640)
    backup = replace_with_backup(book, lambda tmp: tmp.write_bytes(b"new"), "写回")
    assert book.read_bytes() == b"new" and backup.read_bytes() == b"old"
    assert stat.S_IMODE(book.stat().st_mode) == 0o640 and stat.S_IMODE(backup.stat().st_mode) == 0o640
    book.chmod(0o444)
    with pytest.raises(OutputError) as exc:
        replace_with_backup(book, lambda tmp: tmp.write_bytes(b"newer"), "写回")
    assert exc.value.message == f"{book}：文件是只读的，未写回（如需写回，请先取消只读属性）；原文件未做任何改动"
    assert book.read_bytes() == b"new" and backup.read_bytes() == b"old"
