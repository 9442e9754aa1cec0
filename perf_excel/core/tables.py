"""A sheet as plain data: header, rows and where each cell sits in the workbook.

The workbook reader (and the Excel layer, from ranges) turns sheets into ``Table``
objects; the core builds the scheme from them. Keeping this type free of any
spreadsheet library lets every front end share one validation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["SHEETS", "Table", "col_letter", "col_number", "canonical_sheet"]


def col_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_number(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27 (case-insensitive): the column number of a cell reference's letters."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


#: Contract sheet name -> accepted aliases (compared case-insensitively).
SHEETS: Mapping[str, tuple[str, ...]] = {
    "设置": ("settings", "setting", "config"),
    "指标": ("indicators", "indicator"),
    "单位": ("units", "unit"),
    "数据": ("data", "values"),
    "加减分": ("adjustments", "bonus", "bonuses", "加分扣分"),
    "否决": ("vetoes", "veto", "一票否决"),
    "修正": ("corrections", "correction", "修正系数"),
    "结果": ("results", "result"),
    "历年": ("history", "previous"),
}


def canonical_sheet(name: str) -> str | None:
    """The contract name of a sheet called ``name`` (or one of its aliases), else None."""
    key = name.strip().lower()
    for canon, aliases in SHEETS.items():
        if key == canon or key in aliases:
            return canon
    return None


@dataclass(frozen=True)
class Table:
    """One sheet's header and rows, with their positions in the workbook.

    ``rows[i][j]`` sits in column ``letters[j]`` of row ``row_numbers[i]``. Values are
    what the reader got: float, int, str, bool, datetime or None.
    """

    sheet: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[object]]
    row_numbers: Sequence[int] = ()
    letters: tuple[str, ...] = ()
    header_row: int = 1
    file: str = ""
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.letters:
            object.__setattr__(self, "letters", tuple(col_letter(i) for i in range(len(self.columns))))
        if not self.row_numbers:
            object.__setattr__(self, "row_numbers", range(self.header_row + 1, self.header_row + 1 + len(self.rows)))

    @classmethod
    def from_rows(cls, sheet: str, rows: Sequence[Sequence[object]], file: str = "") -> Table:
        """A table from a header row followed by data rows (as a range arrives from Excel)."""
        if not rows:
            return cls(sheet, (), [], file=file)
        header = tuple("" if h is None else str(h).strip() for h in rows[0])
        return cls(sheet, header, [list(r) for r in rows[1:]], file=file)

    def column_index(self, *names: str) -> int | None:
        """Index of the first column called one of ``names`` (case- and space-insensitive)."""
        if not self._index:
            for j, c in enumerate(self.columns):
                self._index.setdefault(c.strip().lower(), j)
        for n in names:
            j = self._index.get(n.strip().lower())
            if j is not None:
                return j
        return None

    def cell(self, i: int, j: int) -> str:
        """The A1 reference of row ``i`` (0-based data row) and column ``j``."""
        return f"{self.letters[j]}{self.row_numbers[i]}"

    def header_cell(self, j: int) -> str:
        return f"{self.letters[j]}{self.header_row}"

    def value(self, i: int, j: int | None) -> object:
        if j is None:
            return None
        row = self.rows[i]
        return row[j] if j < len(row) else None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.rows)))
