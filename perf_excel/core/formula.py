"""Derived indicators (公式): a small, safe expression language over 数据 columns.

``就业人数 / (财政投入 / 10000)`` is tokenised and parsed by hand into a tree and evaluated
on whole columns at once; workbook text is never handed to Python's ``eval``. The language:

* numbers (``10000``, ``0.5``, ``1e4``, ``30%`` = 0.3), names of 数据 columns (Chinese or
  codes; a name with spaces or operators goes in brackets: ``[GDP(亿元)]`` or ``【GDP(亿元)】``);
* ``+ - * /`` (also ``× ÷`` and full-width ``＋ － ＊ ／ （ ） ，``), unary minus, parentheses;
* ``min(a, b, …)``, ``max(a, b, …)``, ``abs(x)``, ``round(x[, digits])`` (half up, like Excel's ROUND).

Per unit: a blank input gives a blank result (scored 0 with a warning, like a blank typed
value), ``不适用`` in any input gives ``不适用``. Division by zero and unknown names are
errors naming the cell. A formula may use another derived indicator's 编码; they are
evaluated in dependency order, and a cycle is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from perf_excel.core.dataset import Dataset
from perf_excel.core.errors import ERROR, InputError, Problem, Suggester, quote
from perf_excel.core.model import Indicator, Unit
from perf_excel.core.numbers import round_half_up_array

__all__ = [
    "FUNCTIONS",
    "Formula",
    "FormulaError",
    "check_formulas",
    "derive_columns",
    "formula_names",
    "parse_formula",
]

#: Function name -> (min args, max args).
FUNCTIONS: Mapping[str, tuple[int, int]] = {"min": (1, 255), "max": (1, 255), "abs": (1, 1), "round": (1, 2)}

_TRANSLATE = str.maketrans(
    {
        "＋": "+",
        "－": "-",
        "−": "-",
        "＊": "*",
        "×": "*",
        "／": "/",
        "÷": "/",
        "（": "(",
        "）": ")",
        "，": ",",
        "％": "%",
        "．": ".",
        "　": " ",
        **{chr(0xFF10 + d): str(d) for d in range(10)},
    }
)
_OPERATORS = set("+-*/(),")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?")
_BRACKETS = {"[": "]", "【": "】", "「": "」"}


class FormulaError(ValueError):
    """A formula that cannot be parsed; the message is Chinese and says where."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    pos: int
    value: float = 0.0


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _OPERATORS:
            tokens.append(_Token("op", ch, i))
            i += 1
            continue
        if ch in _BRACKETS:
            end = text.find(_BRACKETS[ch], i + 1)
            if end < 0:
                raise FormulaError(f"第 {i + 1} 个字符处的 “{ch}” 没有配对的 “{_BRACKETS[ch]}”")
            name = text[i + 1 : end].strip()
            if not name:
                raise FormulaError(f"第 {i + 1} 个字符处的括号内没有列名")
            tokens.append(_Token("name", name, i))
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in _OPERATORS and text[j] not in _BRACKETS:
            j += 1
        word = text[i:j]
        m = _NUMBER.fullmatch(word)
        if m:
            value = float(word.rstrip("%"))
            tokens.append(_Token("num", word, i, value / 100 if word.endswith("%") else value))
        elif word[0].isdigit() and re.fullmatch(r"[\d.eE%]+", word):
            raise FormulaError(f"第 {i + 1} 个字符处的 {quote(word)} 不是有效数字")
        else:
            tokens.append(_Token("name", word, i))
        i = j
    tokens.append(_Token("end", "", n))
    return tokens


class _Parser:
    """Recursive descent: expr := term (("+"|"-") term)*; term := unary (("*"|"/") unary)*;
    unary := ("-"|"+") unary | atom; atom := number | name | func "(" args ")" | "(" expr ")"."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenise(text)
        self.k = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.k]

    def take(self) -> _Token:
        t = self.tokens[self.k]
        self.k += 1
        return t

    def expect(self, op: str) -> None:
        if self.tok.kind == "op" and self.tok.text == op:
            self.k += 1
            return
        self._fail(f"“{op}”")

    def _fail(self, wanted: str) -> None:
        if self.tok.kind == "end":
            raise FormulaError(f"公式不完整，结尾处缺少{wanted}")
        raise FormulaError(f"第 {self.tok.pos + 1} 个字符处应为{wanted}，实际为 {quote(self.tok.text)}")

    def parse(self) -> tuple:
        if self.tok.kind == "end":
            raise FormulaError("公式为空")
        node = self.expr()
        if self.tok.kind != "end":
            raise FormulaError(f"第 {self.tok.pos + 1} 个字符处多出了 {quote(self.tok.text)}（缺少运算符或括号？）")
        return node

    def expr(self) -> tuple:
        node = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.take().text
            node = ("bin", op, node, self.term())
        return node

    def term(self) -> tuple:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in "*/":
            op = self.take()
            node = ("bin", op.text, node, self.unary())
        return node

    def unary(self) -> tuple:
        if self.tok.kind == "op" and self.tok.text in "+-":
            op = self.take().text
            inner = self.unary()
            return ("neg", inner) if op == "-" else inner
        return self.atom()

    def atom(self) -> tuple:
        t = self.tok
        if t.kind == "num":
            self.k += 1
            return ("num", t.value)
        if t.kind == "name":
            self.k += 1
            if self.tok.kind == "op" and self.tok.text == "(":
                return self.call(t)
            return ("name", t.text)
        if t.kind == "op" and t.text == "(":
            self.k += 1
            node = self.expr()
            self.expect(")")
            return node
        self._fail("数字、列名或 “(”")
        raise AssertionError  # unreachable: _fail raises

    def call(self, name: _Token) -> tuple:
        fn = name.text.lower()
        if fn not in FUNCTIONS:
            raise FormulaError(f"未知函数 {quote(name.text)}（可用：{'、'.join(FUNCTIONS)}）")
        self.expect("(")
        args = []
        if not (self.tok.kind == "op" and self.tok.text == ")"):
            args.append(self.expr())
            while self.tok.kind == "op" and self.tok.text == ",":
                self.k += 1
                args.append(self.expr())
        self.expect(")")
        lo, hi = FUNCTIONS[fn]
        if not lo <= len(args) <= hi:
            want = f"{lo}" if lo == hi else f"{lo}–{hi}"
            raise FormulaError(f"函数 {fn} 需要 {want} 个参数，实际为 {len(args)} 个")
        if fn == "round" and len(args) == 2:
            digits = _constant(args[1])
            if digits is None or digits != int(digits) or not 0 <= digits <= 10:
                raise FormulaError("round 的小数位数应为 0–10 的整数常数")
        return ("call", fn, tuple(args))


def _constant(node: tuple) -> float | None:
    if node[0] == "num":
        return node[1]
    if node[0] == "neg":
        inner = _constant(node[1])
        return None if inner is None else -inner
    return None


def _names(node: tuple, out: list[str]) -> None:
    kind = node[0]
    if kind == "name":
        if node[1] not in out:
            out.append(node[1])
    elif kind == "neg":
        _names(node[1], out)
    elif kind == "bin":
        _names(node[2], out)
        _names(node[3], out)
    elif kind == "call":
        for a in node[2]:
            _names(a, out)


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, its tree and the column names it uses (in order)."""

    text: str
    tree: tuple
    names: tuple[str, ...]

    def evaluate(
        self,
        columns: Mapping[str, np.ndarray],
        not_applicable: Mapping[str, np.ndarray] | None = None,
        size: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, str, tuple[str, ...]]]]:
        """Evaluate on whole columns. Returns (values, 不适用 mask, divisions by zero).

        Each division by zero is ``(mask of units, divisor text, names in the divisor)``; there the
        value is NaN. NaN (blank) propagates; 不适用 in any input marks the result.
        """
        n = size if size is not None else len(next(iter(columns.values()))) if columns else 1
        na = np.zeros(n, dtype=bool)
        for name in self.names:
            if not_applicable and name in not_applicable:
                na |= np.asarray(not_applicable[name], dtype=bool)
        zero_divs: list[tuple[np.ndarray, str, tuple[str, ...]]] = []
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            values = np.broadcast_to(self._eval(self.tree, columns, zero_divs, n), (n,)).astype(float)
        values = np.where(na, np.nan, values)
        zero_divs = [(mask & ~na, what, names) for mask, what, names in zero_divs if (mask & ~na).any()]
        return values, na, zero_divs

    def _eval(self, node: tuple, cols: Mapping[str, np.ndarray], zero_divs: list, n: int) -> np.ndarray:
        kind = node[0]
        if kind == "num":
            return np.full(n, node[1])
        if kind == "name":
            return np.asarray(cols[node[1]], dtype=float)
        if kind == "neg":
            return -self._eval(node[1], cols, zero_divs, n)
        if kind == "bin":
            a = self._eval(node[2], cols, zero_divs, n)
            b = self._eval(node[3], cols, zero_divs, n)
            op = node[1]
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            # Division: a zero divisor is reported (an error naming the cell), never inf.
            zero = (b == 0) & ~np.isnan(a)
            if zero.any():
                used: list[str] = []
                _names(node[3], used)
                zero_divs.append((zero, _render(node[3]), tuple(used)))
            return np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))
        fn, args = node[1], [self._eval(a, cols, zero_divs, n) for a in node[2]]
        if fn == "min":
            return np.minimum.reduce(args) if len(args) > 1 else args[0]
        if fn == "max":
            return np.maximum.reduce(args) if len(args) > 1 else args[0]
        if fn == "abs":
            return np.abs(args[0])
        digits = int(_constant(node[2][1])) if len(args) == 2 else 0
        return round_half_up_array(args[0], digits)


def _render(node: tuple, top: bool = True) -> str:
    """The text of a sub-expression, for messages (``财政投入 / 10000``)."""
    kind = node[0]
    if kind == "num":
        v = node[1]
        return str(int(v)) if float(v).is_integer() else repr(v)
    if kind == "name":
        return node[1]
    if kind == "neg":
        return f"-{_render(node[1], False)}"
    if kind == "bin":
        text = f"{_render(node[2], False)} {node[1]} {_render(node[3], False)}"
        return text if top else f"({text})"
    return f"{node[1]}({', '.join(_render(a) for a in node[2])})"


def parse_formula(text: str) -> Formula:
    """Parse a 公式 cell; raises :class:`FormulaError` (Chinese message) when it is wrong."""
    clean = str(text).translate(_TRANSLATE).strip()
    if clean.startswith("="):
        clean = clean[1:]
    tree = _Parser(clean).parse()
    names: list[str] = []
    _names(tree, names)
    return Formula(clean, tree, tuple(names))


def formula_names(text: str) -> set[str]:
    """The column names a formula uses; empty if it does not parse (reported elsewhere)."""
    try:
        return set(parse_formula(text).names)
    except FormulaError:
        return set()


def _formula_cell(ind: Indicator) -> str:
    return ind.cells.get("公式", "") or ind.cells.get("", "")


def check_formulas(
    indicators: Sequence[Indicator],
    columns: Iterable[str],
    sheet: str = "指标",
    file: str = "",
    suggest: Suggester | None = None,
) -> tuple[list[Problem], dict[str, Formula]]:
    """Parse every 公式 and check its names; returns (problems, code -> formula in evaluation order).

    ``columns`` are the 数据 columns; a formula may also use another derived indicator's
    编码. Every problem names the 公式 cell. ``suggest`` gives the "did you mean" hints (the
    caller's, to share its budget; a new one if None).
    """
    suggest = suggest or Suggester()
    columns = set(columns)
    derived = [i for i in indicators if i.formula and i.code not in columns]
    problems: list[Problem] = []
    parsed: dict[str, Formula] = {}
    for ind in derived:
        try:
            parsed[ind.code] = parse_formula(ind.formula)
        except FormulaError as exc:
            problems.append(
                Problem(f"指标 {quote(ind.code)} 的公式 {quote(ind.formula)}：{exc}", sheet, _formula_cell(ind), file)
            )
    known = columns | {i.code for i in derived}
    for code, f in list(parsed.items()):
        ind = next(i for i in derived if i.code == code)
        for name in f.names:
            if name not in known:
                problems.append(
                    Problem(
                        f"指标 {quote(code)} 的公式 {quote(ind.formula)} 引用了 {quote(name)}，"
                        f"数据表中没有这一列{suggest(name, known, sheet, cutoff=0.4)}",
                        sheet,
                        _formula_cell(ind),
                        file,
                    )
                )
        if code in f.names:
            problems.append(
                Problem(f"指标 {quote(code)} 的公式引用了它自己", sheet, _formula_cell(ind), file),
            )
    order: dict[str, Formula] = {}
    pending = dict(parsed)
    while pending:
        ready = [c for c, f in pending.items() if all(n in columns or n in order for n in f.names if n != c)]
        ready = [c for c in ready if c not in pending[c].names]
        if not ready:
            if not any(p.is_error for p in problems):
                cycle = "、".join(pending)
                first = next(i for i in derived if i.code in pending)
                problems.append(
                    Problem(f"指标 {cycle} 的公式相互引用（循环引用），无法计算", sheet, _formula_cell(first), file)
                )
            break
        for c in ready:
            order[c] = pending.pop(c)
    return problems, order


def derive_columns(indicators: Sequence[Indicator], dataset: Dataset, units: Sequence[Unit] | None = None) -> Dataset:
    """``dataset`` with one more column per derived indicator (公式 and no data column).

    With ``units``, a unit whose category the indicator does not apply to is left blank
    and never raises division by zero. Raises :class:`InputError` with every problem:
    bad formulas and unknown names (naming the 公式 cell), divisions by zero (naming the
    divisor's data cell, or the 公式 cell and the unit).
    """
    problems, order = check_formulas(indicators, dataset.values.columns)
    if problems:
        raise InputError(problems)
    by_code = {i.code: i for i in indicators}
    codes = [str(c) for c in dataset.values.index]
    category = {u.code: u.category for u in units} if units is not None else {}
    for code, f in order.items():
        ind = by_code[code]
        applies = np.array([ind.applies_to(category[c]) if c in category else True for c in codes], dtype=bool)
        cols = {n: dataset.values[n].to_numpy(dtype=float) for n in f.names}
        nas = {n: dataset.not_applicable[n].to_numpy(dtype=bool) for n in f.names if n in dataset.not_applicable}
        values, na, zero_divs = f.evaluate(cols, nas, len(codes))
        for mask, divisor, used in zero_divs:
            for k in np.flatnonzero(mask & applies):
                unit = codes[k]
                # Name the data cell that holds the zero (the first input of the divisor that is 0).
                zeros = [n for n in used if n in cols and cols[n][k] == 0]
                cell = dataset.cell(unit, zeros[0]) if zeros else ""
                row = dataset.rows.get(unit)
                where = f"（{dataset.sheet}第{row}行）" if row and not cell else " "
                message = (
                    f"单位 {quote(unit)}{where}的指标 {quote(code)} 公式 {quote(ind.formula)} 除数为 0（{divisor} = 0）"
                )
                if cell:
                    problems.append(Problem(message, dataset.sheet, cell, severity=ERROR))
                else:
                    problems.append(Problem(message, "指标", _formula_cell(ind), severity=ERROR))
        values = np.where(applies, values, np.nan)
        dataset = dataset.with_column(code, values, na & applies)
    if problems:
        raise InputError(problems)
    return dataset
