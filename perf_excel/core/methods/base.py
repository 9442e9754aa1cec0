"""What a scoring method is: its names, its 指标 parameters, one validator, formula, explanation and help.

A method module builds one :class:`Method`; the registry (this package's ``__init__``)
collects them. Everything a user reads about a method — the problems its parameters can
have, the 说明 sheet's catalogue row, the Excel function wizard's description — is written
once, in the method's module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from perf_excel.core.errors import quote

if TYPE_CHECKING:
    from perf_excel.core.model import Indicator, Settings

__all__ = [
    "Method",
    "Param",
    "ParamProblem",
    "Shown",
    "points_problem",
]

#: The vectorised score: (indicator, actual values, category of each unit) -> points.
Scorer = Callable[["Indicator", np.ndarray, np.ndarray], np.ndarray]
#: One unit's explanation: (indicator, actual value, score, context) -> a line of Chinese.
Explainer = Callable[["Indicator", float, float, Mapping], str]


class ParamProblem(NamedTuple):
    """A problem of an indicator's parameters: the 指标 column it is in, and what is wrong."""

    column: str
    message: str


class Shown:
    """A parameter's value as the user typed it: the workbook cell if there is one, else the field.

    Messages quote the typed value (``“０”``, ``“1,000”``), so that a clerk finds the cell by what
    it shows; a scheme built in Python has no cells and its values are quoted instead.
    """

    def __init__(self, ind: Indicator, params: Iterable[Param], raw: Mapping[str, object] | None = None) -> None:
        self._ind = ind
        self._params = {p.column: p for p in params}
        self._raw = raw or {}

    def __call__(self, column: str) -> object:
        if column in self._raw:
            return self._raw[column]
        return self._params[column].value(self._ind)


@dataclass(frozen=True)
class Param:
    """One 指标 column a method reads, and the :class:`~perf_excel.core.model.Indicator` field it fills.

    ``parse`` turns a text column into its value and raises ``ValueError`` with the whole
    message when it cannot (columns without ``parse`` are numbers). ``index`` places the
    value in a tuple field (功效系数's five standard values). ``missing`` is the message
    for a required parameter left blank.

    ``bound`` is the range a number must lie in, declared rather than checked by hand:
    ``"positive"`` (message 应大于 0) or ``"non_negative"`` (不能为负). The message names the
    column as ``label`` says (完成比例的目标值; the column by default) and ends with ``hint``.
    """

    column: str
    attr: str
    required: bool = False
    index: int | None = None
    parse: Callable[[str], object] | None = None
    missing: str = ""
    #: A blank text column takes this :class:`~perf_excel.core.model.Settings` field (定性's table).
    settings_default: str = ""
    bound: str = ""
    label: str = ""
    hint: str = ""

    def __post_init__(self) -> None:
        if self.bound and self.bound not in _BOUNDS:
            raise ValueError(f"unknown bound {self.bound!r} of parameter {self.column}")

    @property
    def missing_message(self) -> str:
        return self.missing or f"{self.column}不能为空"

    def value(self, ind: Indicator) -> object:
        v = getattr(ind, self.attr)
        if self.index is None or v is None:
            return v
        return v[self.index] if self.index < len(v) else None

    def absent(self, ind: Indicator) -> bool:
        """Left blank. A tuple field that is missing or of the wrong length is the method's own
        problem (one message for the tuple, not one per element)."""
        v = getattr(ind, self.attr)
        if self.index is not None:
            return v is not None and self.index < len(v) and v[self.index] is None
        return v is None or v == ()

    def range_problem(self, ind: Indicator, shown: Shown) -> ParamProblem | None:
        """The problem of a present value outside :attr:`bound`, if any (NaN is outside every bound)."""
        v = self.value(ind)
        if not self.bound or v is None:
            return None
        inside, word = _BOUNDS[self.bound]
        if inside(v):
            return None
        hint = f"（{self.hint}）" if self.hint else ""
        return ParamProblem(self.column, f"{self.label or self.column} {quote(shown(self.column))} {word}{hint}")


#: A method's own checks of the parameters that are present: (indicator, shown) -> problems.
Checker = Callable[["Indicator", Shown], Iterable[ParamProblem]]


def _no_checks(ind: Indicator, shown: Shown) -> Iterable[ParamProblem]:
    return ()


@dataclass(frozen=True)
class Method:
    """One scoring method: names, parameters and their check, formula, explanation and help text.

    ``check`` sees only parameters that are present (required ones left blank are reported
    by :meth:`problems` with :attr:`Param.missing_message`). ``parameters``, ``rule`` and
    ``example`` are the 说明 sheet's catalogue row; :attr:`help` joins them for Excel's
    function wizard.
    """

    key: str
    name: str
    score: Scorer
    explain: Explainer
    parameters: str
    rule: str
    example: str
    params: tuple[Param, ...] = ()
    check: Checker = _no_checks
    aliases: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The 指标 columns the method reads, in order."""
        return tuple(dict.fromkeys(p.column for p in self.params))

    @property
    def required(self) -> tuple[str, ...]:
        """The 指标 columns the method cannot do without."""
        return tuple(p.column for p in self.params if p.required)

    @property
    def catalogue_row(self) -> tuple[str, str, str, str, str]:
        """(计分方法, 英文名, 需要填写的参数, 计分规则, 示例) as the 说明 sheet shows it."""
        return (self.name, self.key, self.parameters, self.rule, self.example)

    @property
    def help(self) -> str:
        """The one-line description of the method (Excel's function wizard; at most 255 characters)."""
        return f"{self.name}计分：{self.rule}。例：{self.example}。"

    def problems(
        self, ind: Indicator, raw: Mapping[str, object] | None = None, skip: Iterable[str] = ()
    ) -> list[ParamProblem]:
        """Every problem of ``ind``'s parameters for this method, in column order.

        ``raw`` holds the typed cell values by column (quoted in messages); ``skip`` names
        columns already reported (unreadable, or absent from the sheet).
        """
        skip = set(skip)
        out = [
            ParamProblem(p.column, p.missing_message)
            for p in self.params
            if p.required and p.column not in skip and p.absent(ind)
        ]
        # A blank or unreadable column is reported once, not again by the checks of its value.
        skip.update(p.column for p in out)
        shown = Shown(ind, self.params, raw)
        out += [r for p in self.params if p.column not in skip and (r := p.range_problem(ind, shown))]
        skip.update(p.column for p in out)
        out += [p for p in self.check(ind, shown) if p.column not in skip]
        return out

    def fields(self, values: Sequence[object], settings: Settings | None = None) -> dict[str, object]:
        """The Indicator fields from the values read for :attr:`params` (in their order; None = blank)."""
        out: dict[str, object] = {}
        tuples: dict[str, list[object]] = {}
        for p, v in zip(self.params, values):
            if v is None and p.settings_default and settings is not None:
                v = getattr(settings, p.settings_default)
            if p.index is not None:
                tuples.setdefault(p.attr, []).append(v)
            elif v is not None:
                out[p.attr] = v
        for attr, vs in tuples.items():
            out[attr] = tuple(vs)
        return out


def points_problem(points: object, shown: object = None) -> str | None:
    """The problem of an indicator's 分值, if any (every method needs 分值 > 0)."""
    if isinstance(points, (int, float)) and points > 0:
        return None
    return f"分值 {quote(points if shown is None else shown)} 应大于 0"


def positive(value: float | None) -> bool:
    """``value > 0``, false for NaN and None (a parameter that must be above zero)."""
    return value is not None and value > 0


def _non_negative(value: float) -> bool:
    return value >= 0


#: :attr:`Param.bound`: the test a present value passes, and what the message says when it does not.
_BOUNDS: dict[str, tuple[Callable[[float], bool], str]] = {
    "positive": (positive, "应大于 0"),
    "non_negative": (_non_negative, "不能为负"),
}
