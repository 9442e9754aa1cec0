"""The error tree: raised deep with the location attached, rendered once at the boundary.

Every message a user sees is Simplified Chinese and names the place and the value,
for example ``考核表.xlsx 数据!D7：“12,5” 不是有效数字``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = [
    "ERROR",
    "WARNING",
    "InputError",
    "OutputError",
    "PerfExcelError",
    "Problem",
    "Suggester",
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


#: Only words and choices this short are compared: a code or a name is short, a longer text is
#: not a typo of one, and a comparison costs about the product of the two lengths.
SUGGEST_MAX_LENGTH = 64
#: Lookups per sheet that may give a suggestion; a sheet of thousands of unknown codes gets
#: hints on its first ones (the rest are the same mistake, or no typos at all).
SUGGEST_PER_SHEET = 20
#: Work of all lookups of one :class:`Suggester`, in character pairs compared (under 1 s of
#: difflib at worst); once spent, no more suggestions are made.
SUGGEST_BUDGET = 2_000_000


class Suggester:
    """“Did you mean” hints for names that match nothing (``，是否应为 “X”？``), at a bounded cost.

    The one place that proposes a correction for a mistyped code, method, category or column.
    A hint is given only when one choice is clearly the nearest (difflib's ratio at least
    ``cutoff``, no tie). The cost is bounded three ways: words and choices longer than
    :data:`SUGGEST_MAX_LENGTH` are not compared, at most :data:`SUGGEST_PER_SHEET` lookups per
    sheet are made, and all lookups together stop at :data:`SUGGEST_BUDGET` character pairs
    (a lookup that runs out gives no hint rather than a worse one). Use one instance for one
    check of a workbook, so that its sheets share the budget.
    """

    def __init__(self, budget: int = SUGGEST_BUDGET, per_sheet: int = SUGGEST_PER_SHEET) -> None:
        self.budget = budget
        self.per_sheet = per_sheet
        #: Work done so far, in the units of :data:`SUGGEST_BUDGET`.
        self.work = 0
        self._lookups: dict[str, int] = {}

    def __call__(self, word: str, choices: Iterable[str], sheet: str = "", cutoff: float = 0.3) -> str:
        """The hint for ``word`` among ``choices``, or an empty string."""
        if not word or len(word) > SUGGEST_MAX_LENGTH or self.work >= self.budget:
            return ""
        done = self._lookups.get(sheet, 0)
        if done >= self.per_sheet:
            return ""
        self._lookups[sheet] = done + 1
        choices = list(choices)
        self.work += len(choices)
        # Sorted, so that the same workbook gets the same hints whatever the order of a set.
        candidates = sorted(c for c in choices if type(c) is str and c != word and len(c) <= SUGGEST_MAX_LENGTH)
        matcher = difflib.SequenceMatcher(None, b=word)
        best, nearest = -1.0, []
        for choice in candidates:
            floor = max(cutoff, best)
            matcher.set_seq1(choice)
            self.work += 1
            if matcher.real_quick_ratio() < floor:
                continue
            self.work += len(choice) + len(word) + 8
            if matcher.quick_ratio() < floor:
                continue
            self.work += len(choice) * len(word) + 32
            if self.work > self.budget:
                return ""
            score = matcher.ratio()
            if score > best:
                best, nearest = score, [choice]
            elif score == best:
                nearest.append(choice)
        if best < cutoff or len(nearest) != 1:
            return ""
        return f"，是否应为 {quote(nearest[0])}？"


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
    """Base of every error the program reports to a user; carries its exit code.

    ``option`` names an argument in library terms (``force``) where the message refers to one;
    ``{option}`` in the message stands where it is named. The library shows the name; the
    command line shows its flag (``--force``, :func:`perf_excel.cli.main`).
    """

    exit_code = 1

    def __init__(self, message: str, option: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.option = option

    def naming(self, option_text: str | None = None) -> str:
        """The message with the argument named as ``option_text`` (default: its library name)."""
        if not self.option:
            return self.message
        return self.message.replace("{option}", option_text if option_text is not None else self.option)

    def __str__(self) -> str:
        return self.naming()


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
    """The call was wrong: an argument that cannot work, or a combination that cannot.

    The command line adds 用法错误 once (:func:`perf_excel.cli.main`).
    """

    exit_code = 2
