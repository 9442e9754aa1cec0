"""The error tree: raised deep with the location attached, rendered once at the boundary.

Every message a user sees is Simplified Chinese and names the place and the value,
for example ``考核表.xlsx 数据!D7：“12,5” 不是有效数字``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = [
    "ERROR",
    "WARNING",
    "InputError",
    "OutputError",
    "PerfExcelError",
    "Problem",
    "TemplateError",
    "UsageError",
    "quote",
]

ERROR = "错误"
WARNING = "警告"


def quote(value: object) -> str:
    """Quote a user's value the Chinese way: “value”."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:  # 1e308 stays short
        value = int(value)
    return f"“{value}”"


@dataclass(frozen=True)
class Problem:
    """One problem found in the input, with its place.

    ``sheet`` and ``cell`` are empty when the problem has no single cell
    (a whole sheet missing, a category whose points do not add up).
    """

    message: str
    sheet: str = ""
    cell: str = ""
    file: str = ""
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def place(self) -> str:
        where = ""
        if self.sheet and self.cell:
            where = f"{self.sheet}!{self.cell}"
        elif self.sheet:
            where = self.sheet
        if self.file:
            where = f"{self.file} {where}".strip()
        return where

    def with_file(self, file: str) -> Problem:
        return self if self.file else replace(self, file=file)

    def __str__(self) -> str:
        place = self.place
        return f"{place}：{self.message}" if place else self.message


class PerfExcelError(Exception):
    """Base of every error the program reports to a user; carries its exit code."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(PerfExcelError):
    """The workbook (or other input) is wrong; carries every problem found at once."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def with_file(self, file: str) -> InputError:
        return InputError(p.with_file(file) for p in self.problems)


class TemplateError(PerfExcelError):
    """A Word template is broken or uses data that does not exist."""


class OutputError(PerfExcelError):
    """An output cannot be written (file locked, folder missing, disk full)."""


class UsageError(PerfExcelError):
    """The command was called wrongly."""

    exit_code = 2
