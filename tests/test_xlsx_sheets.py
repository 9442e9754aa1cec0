"""``score -o`` and ``score --write-back`` write the same sheets, cell by cell."""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from perf_excel.cli import main

DEMO = Path(__file__).resolve().parents[1] / "workbooks" / "demo_city_2025.xlsx"


def _sheet(ws) -> tuple[list, list]:
    cells = [[(c.value, c.data_type, c.number_format) for c in row] for row in ws.iter_rows()]
    widths = [ws.column_dimensions[get_column_letter(j)].width for j in range(1, ws.max_column + 1)]
    return cells, widths


def test_score_o_and_write_back_give_the_same_cells(tmp_path: Path):
    out = tmp_path / "out.xlsx"
    assert main(["score", str(DEMO), "-o", str(out)]) == 0
    copy = Path(shutil.copy(DEMO, tmp_path / "copy.xlsx"))
    assert main(["score", str(copy), "--write-back"]) == 0
    a, b = load_workbook(out), load_workbook(copy)
    for name in ("结果", "计分明细"):
        cells_a, widths_a = _sheet(a[name])
        cells_b, widths_b = _sheet(b[name])
        assert len(cells_a) > 1
        assert cells_a == cells_b, name
        assert widths_a == widths_b, name
    # The formats chosen once: scores to two decimals, the rank an integer, raw values as typed.
    result = a["结果"]
    header = [c.value for c in result[1]]
    assert result.cell(2, header.index("总分") + 1).number_format == "0.00"
    assert result.cell(2, header.index("类别排名") + 1).number_format == "0"
    detail = a["计分明细"]
    assert detail.cell(2, 8).number_format == "General" and detail.cell(2, 9).number_format == "0.00"
