"""Deriving indicator weights: AHP, entropy weights (熵权法) and CRITIC.

Pure functions over numbers plus two readers from :class:`~perf_excel.core.tables.Table`
(a pairwise matrix, a data table) that check every cell and name it when it is wrong.
Nothing here opens a file.

Method notes (the choices a clerk may ask about):

* **AHP** (Saaty): ``eigen`` takes the principal right eigenvector, normalised to sum 1,
  and its eigenvalue as λmax; ``geometric`` takes the normalised geometric means of the
  rows and ``arithmetic`` (和法, common in Chinese textbooks) the row means of the
  column-normalised matrix; for these two λmax = mean((A·w)ᵢ / wᵢ). CI = (λmax − n)/(n − 1),
  CR = CI/RI, consistent when CR < 0.1 (n ≤ 2 is always consistent, CR = 0).
* **Entropy**: min-max with direction, pᵢⱼ = zᵢⱼ/Σᵢ zᵢⱼ, eⱼ = −Σᵢ pᵢⱼ ln pᵢⱼ / ln n with
  0·ln 0 = 0, wⱼ = (1 − eⱼ)/Σₖ(1 − eₖ). No shift is added to avoid zeros.
* **CRITIC** (Diakoulaki, Mavrotas & Papayannakis 1995): the same min-max with direction,
  σⱼ the standard deviation of the normalised column, rⱼₖ Pearson's correlation,
  Cⱼ = σⱼ Σₖ (1 − rⱼₖ), wⱼ = Cⱼ/Σ C. σ is the sample standard deviation (n − 1, Excel's
  STDEV.S); the population one would scale every Cⱼ by the same factor, so the weights
  are identical either way.

A constant column (max = min) carries no information: it gets weight 0 and the other
weights are what they would be without it; a note says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from perf_excel.core.errors import InputError, Problem, quote
from perf_excel.core.numbers import cell_text, fmt_num, is_blank, parse_number
from perf_excel.core.tables import Table

__all__ = [
    "AHP_METHODS",
    "MAX_AHP_SIZE",
    "RI_SOURCES",
    "RI_TABLES",
    "AhpResult",
    "DataWeights",
    "ahp",
    "ahp_from_rows",
    "apportion",
    "critic_weights",
    "data_from_table",
    "entropy_weights",
    "pairwise_from_table",
    "parse_directions",
    "random_index",
    "weights_from_rows",
]

MAX_AHP_SIZE = 15
#: CR below this is acceptable (Saaty).
CR_LIMIT = 0.1
#: Default tolerance of the reciprocal check: |aᵢⱼ·aⱼᵢ − 1| ≤ 5 % lets clerks type 0.33 or 0.14.
RECIPROCAL_TOLERANCE = 0.05

#: Random consistency index RI for n = 1 … 15.
RI_TABLES: Mapping[str, tuple[float, ...]] = {
    "saaty": (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59),
    "cn": (0.0, 0.0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59),
}
#: Where each RI table is published (shown with the result).
RI_SOURCES: Mapping[str, str] = {
    "saaty": "Saaty, The Analytic Hierarchy Process, McGraw-Hill, 1980（n = 1–15）",
    "cn": "国内教材通行的修正表（许树柏《实用决策方法——层次分析法原理》，天津大学出版社，1988；n = 1–15）",
}
AHP_METHODS: Mapping[str, str] = {
    "eigen": "特征向量法",
    "geometric": "几何平均法（方根法）",
    "arithmetic": "算术平均法（和法）",
}

_FRACTION = re.compile(r"^\s*([0-9.]+)\s*[/／]\s*([0-9.]+)\s*$")


# --- AHP -------------------------------------------------------------------------
@dataclass(frozen=True)
class AhpResult:
    """Weights and consistency of one pairwise comparison matrix."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    method: str = "eigen"
    ri_table: str = "saaty"

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def consistent(self) -> bool:
        return self.cr < CR_LIMIT

    @property
    def verdict(self) -> str:
        """One Chinese sentence: does the matrix pass the consistency test?"""
        if self.n <= 2:
            return f"{self.n} 阶判断矩阵总是完全一致（CR = 0），通过一致性检验"
        cr = f"{self.cr:.4f}"
        if self.consistent:
            return f"CR = {cr} < 0.1，判断矩阵通过一致性检验"
        return f"CR = {cr} ≥ 0.1，判断矩阵未通过一致性检验，请调整判断后重新计算"

    def to_dict(self) -> dict[str, object]:
        return {
            "weights": dict(zip(self.names, self.weights)),
            "lambda_max": self.lambda_max,
            "ci": self.ci,
            "ri": self.ri,
            "cr": self.cr,
            "consistent": self.consistent,
            "method": self.method,
            "ri_table": self.ri_table,
            "ri_source": RI_SOURCES[self.ri_table],
            "verdict": self.verdict,
        }


def random_index(n: int, table: str = "saaty") -> float:
    """RI for an ``n``-by-``n`` matrix from the named table (``saaty`` or ``cn``)."""
    if table not in RI_TABLES:
        raise InputError(f"RI 表 {quote(table)} 无效（应为 {'、'.join(RI_TABLES)} 之一）")
    if not 1 <= n <= MAX_AHP_SIZE:
        raise InputError(f"判断矩阵为 {n} 阶，RI 表只覆盖 1–{MAX_AHP_SIZE} 阶")
    return RI_TABLES[table][n - 1]


def ahp(
    matrix: Sequence[Sequence[float]] | np.ndarray,
    names: Sequence[str] | None = None,
    method: str = "eigen",
    ri: str = "saaty",
) -> AhpResult:
    """Weights, λmax, CI and CR of a positive reciprocal matrix (already checked).

    Raises :class:`InputError` if the matrix is not square, not positive, or too large;
    use :func:`pairwise_from_table` to check a typed matrix cell by cell.
    """
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise InputError(f"判断矩阵应为方阵，实际为 {a.shape[0]}×{a.shape[1] if a.ndim == 2 else 0}")
    n = a.shape[0]
    if n > MAX_AHP_SIZE:
        raise InputError(f"判断矩阵为 {n} 阶，超过 {MAX_AHP_SIZE} 阶（请分层比较）")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise InputError("判断矩阵的元素都应为正数")
    if method not in AHP_METHODS:
        raise InputError(f"AHP 方法 {quote(method)} 无效（应为 {'、'.join(AHP_METHODS)} 之一）")
    names = tuple(names) if names is not None else tuple(f"C{i + 1}" for i in range(n))
    if len(names) != n:
        raise InputError(f"名称有 {len(names)} 个，判断矩阵为 {n} 阶")
    if method == "eigen":
        values, vectors = np.linalg.eig(a)
        k = int(np.argmax(values.real))
        w = np.abs(vectors[:, k].real)
        w = w / w.sum()
        lam = float(values[k].real)
    else:
        if method == "geometric":
            w = np.exp(np.log(a).mean(axis=1))
        else:
            w = (a / a.sum(axis=0)).mean(axis=1)
        w = w / w.sum()
        lam = float(np.mean(a @ w / w))
    ri_value = random_index(n, ri)
    if n <= 2:
        # Every 1x1 and 2x2 reciprocal matrix is consistent; rounding noise is not a CI.
        lam, ci, cr = float(n), 0.0, 0.0
    else:
        ci = (lam - n) / (n - 1)
        cr = ci / ri_value
    return AhpResult(names, tuple(float(x) for x in w), lam, ci, ri_value, cr, method, ri)


def _cell_fraction(value: object) -> float | None:
    """A pairwise entry: a number, or a fraction typed as text (``1/3``)."""
    number = parse_number(value)
    if number is not None:
        return number
    if isinstance(value, str):
        m = _FRACTION.match(value.translate(str.maketrans("０１２３４５６７８９．", "0123456789.")))
        if m:
            num, den = parse_number(m[1]), parse_number(m[2])
            if num is not None and den:
                return num / den
    return None


def pairwise_from_table(table: Table, tolerance: float = RECIPROCAL_TOLERANCE) -> tuple[tuple[str, ...], np.ndarray]:
    """The names and the matrix of a pairwise comparison sheet, every cell checked.

    Layout: names in the header row (from the second column) and in the first column,
    in the same order; the top-left cell is free. A blank diagonal cell means 1; a blank
    cell whose mirror is filled takes its reciprocal, so clerks may fill one triangle.
    Raises :class:`InputError` with every problem, each naming its cell.
    """
    sheet, file = table.sheet, table.file
    problems: list[Problem] = []

    def error(cell: str, message: str) -> None:
        problems.append(Problem(message, sheet, cell, file))

    names = tuple(table.columns[1:])
    while names and not names[-1]:
        names = names[:-1]
    rows = [i for i in table if any(not is_blank(v) for v in table.rows[i])]
    n = len(names)
    if n == 0:
        raise InputError([Problem("判断矩阵的第一行应为指标名称（从第二列起）", sheet, "B1", file)])
    if n > MAX_AHP_SIZE:
        raise InputError(
            [Problem(f"判断矩阵有 {n} 个指标，超过 {MAX_AHP_SIZE} 个（RI 表只到 15 阶，请分层比较）", sheet, "", file)]
        )
    if n < 2:
        raise InputError([Problem("判断矩阵至少需要 2 个指标", sheet, table.header_cell(1), file)])
    for j, name in enumerate(names):
        if not name:
            error(table.header_cell(j + 1), "指标名称为空")
    dup = {x for x in names if x and names.count(x) > 1}
    for x in sorted(dup):
        error(table.header_cell(names.index(x) + 1), f"指标名称 {quote(x)} 重复")
    if len(rows) != n:
        error(
            "",
            f"判断矩阵应为方阵：第一行有 {n} 个指标，第一列有 {len(rows)} 个（{'、'.join(names)}）",
        )
        raise InputError(problems)
    for k, i in enumerate(rows):
        label = cell_text(table.value(i, 0))
        if label != names[k]:
            expect = f"应为 {quote(names[k])}，与第一行的顺序一致"
            error(table.cell(i, 0), f"行名称 {quote(label) if label else '为空'}，{expect}")
    a = np.full((n, n), np.nan)
    typed = np.zeros((n, n), dtype=bool)
    filled = np.zeros((n, n), dtype=bool)
    for r, i in enumerate(rows):
        for c in range(n):
            value = table.value(i, c + 1)
            if is_blank(value):
                continue
            filled[r, c] = True
            cell = table.cell(i, c + 1)
            if isinstance(value, (date, datetime)):
                error(
                    cell,
                    f"{quote(value)} 是日期：在 Excel 中直接输入 1/3 会变成日期，请输入 =1/3 或 0.3333",
                )
                continue
            x = _cell_fraction(value)
            if x is None:
                error(cell, f"{quote(value)} 不是有效数字（应为 1–9 标度或其倒数，如 3、1/3）")
            elif x <= 0:
                error(cell, f"{quote(value)} 应为正数（判断矩阵的元素都大于 0）")
            else:
                a[r, c], typed[r, c] = x, True
    for r in range(n):
        cell = table.cell(rows[r], r + 1)
        if not typed[r, r]:
            a[r, r] = 1.0
        elif abs(a[r, r] - 1) > 1e-9:
            error(cell, f"对角线元素 {quote(table.value(rows[r], r + 1))} 应为 1（指标与自身同等重要）")
    for r in range(n):
        for c in range(r + 1, n):
            cell, mirror = table.cell(rows[r], c + 1), table.cell(rows[c], r + 1)
            if typed[r, c] and typed[c, r]:
                if abs(a[r, c] * a[c, r] - 1) > tolerance:
                    error(
                        mirror,
                        f"{quote(table.value(rows[c], r + 1))} 与 {cell} 的 {quote(table.value(rows[r], c + 1))} "
                        f"不互为倒数（乘积 {fmt_num(a[r, c] * a[c, r])}，应为 1，允许误差 {tolerance:.0%}）",
                    )
            elif typed[r, c]:
                a[c, r] = 1 / a[r, c]
            elif typed[c, r]:
                a[r, c] = 1 / a[c, r]
            elif not (filled[r, c] or filled[c, r]):
                error(cell, f"{names[r]} 与 {names[c]} 的比较为空（{cell} 与 {mirror} 至少填一个）")
    if problems:
        raise InputError(problems)
    return names, a


# --- entropy and CRITIC ----------------------------------------------------------
@dataclass(frozen=True)
class DataWeights:
    """Weights derived from data (entropy or CRITIC), with the intermediate figures.

    ``details`` maps a figure's name to one value per indicator: for entropy ``entropy``
    (eⱼ) and ``divergence`` (1 − eⱼ); for CRITIC ``sigma`` (σⱼ), ``conflict``
    (Σₖ(1 − rⱼₖ)) and ``information`` (Cⱼ). ``notes`` are Chinese remarks (constant columns).
    """

    method: str
    names: tuple[str, ...]
    weights: tuple[float, ...]
    positive: tuple[bool, ...]
    details: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    n_units: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "weights": dict(zip(self.names, self.weights)),
            "directions": {n: ("正向" if p else "逆向") for n, p in zip(self.names, self.positive)},
            "units": self.n_units,
            **{k: dict(zip(self.names, v)) for k, v in self.details.items()},
            "notes": list(self.notes),
        }


def _check_data(values, directions, names) -> tuple[np.ndarray, tuple[bool, ...], tuple[str, ...]]:
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise InputError("数据应为二维表（每行一个单位，每列一个指标）")
    m, k = x.shape
    names = tuple(names) if names is not None else tuple(f"C{j + 1}" for j in range(k))
    if len(names) != k:
        raise InputError(f"名称有 {len(names)} 个，数据有 {k} 列")
    positive = tuple(bool(d) for d in directions) if directions is not None else (True,) * k
    if len(positive) != k:
        raise InputError(f"方向有 {len(positive)} 个，指标有 {k} 个（{'、'.join(names)}）")
    if k == 0:
        raise InputError("没有任何指标列")
    if m < 2:
        raise InputError(f"只有 {m} 个单位，至少需要 2 个才能计算客观权重")
    if not np.all(np.isfinite(x)):
        raise InputError("数据中有空值或非数字（客观赋权需要完整的数据）")
    return x, positive, names


def _min_max(x: np.ndarray, positive: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    """Min-max normalisation with direction; returns (z, constant-column mask)."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = hi - lo
    constant = span <= 1e-12 * np.maximum(1.0, np.abs(hi))
    safe = np.where(constant, 1.0, span)
    z = np.where(np.asarray(positive), (x - lo) / safe, (hi - x) / safe)
    z[:, constant] = 0.0
    return z, constant


def _constant_notes(names, constant) -> tuple[str, ...]:
    return tuple(f"指标 {quote(n)} 各单位数值相同，不提供信息，权重为 0" for n, c in zip(names, constant) if c)


def _normalise(c: np.ndarray) -> np.ndarray:
    total = c.sum()
    if total <= 0:
        raise InputError("所有指标的数值在各单位间都相同，无法计算客观权重")
    return c / total


#: A units × indicators table of numbers; the direction of each indicator (True = 正向); their names.
Values = Sequence[Sequence[float]] | np.ndarray
Directions = Sequence[bool] | None
Names = Sequence[str] | None
#: A method's figures from the normalised table and its constant columns: (information per
#: indicator, the intermediate figures by name). The weights are the information, normalised.
Figures = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, dict[str, np.ndarray]]]


def _data_weights(method: str, figures: Figures, values: Values, directions: Directions, names: Names) -> DataWeights:
    """What entropy and CRITIC share: the checked table, min-max normalised, and the result."""
    x, positive, names = _check_data(values, directions, names)
    z, constant = _min_max(x, positive)
    info, details = figures(z, constant)
    return DataWeights(
        method,
        names,
        tuple(float(v) for v in _normalise(info)),
        positive,
        {name: tuple(float(v) for v in figure) for name, figure in details.items()},
        _constant_notes(names, constant),
        x.shape[0],
    )


def _entropy_figures(z: np.ndarray, constant: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    col = z.sum(axis=0)
    p = z / np.where(col > 0, col, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)  # 0·ln 0 = 0
    e = -plogp.sum(axis=0) / math.log(z.shape[0])
    e[constant] = 1.0
    d = 1.0 - e
    return d, {"entropy": e, "divergence": d}


def _critic_figures(z: np.ndarray, constant: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    k = z.shape[1]
    sigma = z.std(axis=0, ddof=1)
    live = ~constant
    r = np.eye(k)
    if live.sum() > 1:
        r[np.ix_(live, live)] = np.corrcoef(z[:, live], rowvar=False)
    # A constant column is left out of the others' conflict sums (as if it were absent).
    conflict = np.array([(1.0 - r[j, live]).sum() if live[j] else 0.0 for j in range(k)])
    info = sigma * conflict
    if live.sum() == 1:
        # A single informative indicator takes all the weight.
        info = live.astype(float)
    return info, {"sigma": sigma, "conflict": conflict, "information": info}


def entropy_weights(values: Values, directions: Directions = None, names: Names = None) -> DataWeights:
    """Entropy weights (熵权法) of a units × indicators table; ``directions`` True = 正向."""
    return _data_weights("entropy", _entropy_figures, values, directions, names)


def critic_weights(values: Values, directions: Directions = None, names: Names = None) -> DataWeights:
    """CRITIC weights of a units × indicators table; ``directions`` True = 正向."""
    return _data_weights("critic", _critic_figures, values, directions, names)


# --- reading data tables ---------------------------------------------------------
_DIRECTION_WORDS = {
    "+": True,
    "正": True,
    "正向": True,
    "positive": True,
    "pos": True,
    "-": False,
    "−": False,
    "负": False,
    "负向": False,
    "逆": False,
    "逆向": False,
    "反向": False,
    "negative": False,
    "neg": False,
}
#: Columns of a data sheet that are labels, not indicators.
LABEL_COLUMNS = (
    "单位编码",
    "编码",
    "单位名称",
    "名称",
    "单位",
    "类别",
    "备注",
    "说明",
    "code",
    "name",
    "unit",
    "category",
)


def parse_directions(text: str, count: int | None = None) -> tuple[bool, ...]:
    """``+,-,+`` or ``正向,逆向,正向`` (also ``，``、``、``、spaces) -> (True, False, True)."""
    parts = [p for p in re.split(r"[,，、;；\s]+", text.strip()) if p]
    if len(parts) == 1 and len(parts[0]) > 1 and set(parts[0]) <= {"+", "-"}:
        parts = list(parts[0])  # "+-+" written without separators
    out = []
    for p in parts:
        d = _DIRECTION_WORDS.get(p.lower())
        if d is None:
            raise InputError(f"方向 {quote(p)} 无效（应为 +、-、正向 或 逆向）")
        out.append(d)
    if count is not None and len(out) != count:
        raise InputError(f"给出了 {len(out)} 个方向，但有 {count} 个指标")
    return tuple(out)


def data_from_table(
    table: Table, columns: Sequence[str] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """Indicator names, unit labels and values of a data sheet, every cell checked.

    Label columns (单位编码, 单位名称, 类别, …) and a first column of text are skipped;
    every other column with a header is an indicator, or only ``columns`` when given. Blank, ``不适用`` and text cells
    are errors naming the cell (objective weights need complete data).
    """
    sheet, file = table.sheet, table.file
    problems: list[Problem] = []
    labels_lower = {c.lower() for c in LABEL_COLUMNS}
    rows = [i for i in table if any(not is_blank(v) for v in table.rows[i])]
    skip = {j for j, c in enumerate(table.columns) if not c or c.lower() in labels_lower}
    if 0 not in skip and rows:
        first = [table.value(i, 0) for i in rows]
        if any(parse_number(v) is None and not is_blank(v) for v in first):
            skip.add(0)
    cols = [j for j in range(len(table.columns)) if j not in skip]
    if columns:
        unknown = [c for c in columns if c not in table.columns]
        if unknown:
            have = "、".join(table.columns[j] for j in cols)
            raise InputError(
                [
                    Problem(f"没有名为 {quote(c)} 的列（现有：{have}）", sheet, table.header_cell(0), file)
                    for c in unknown
                ]
            )
        cols = [table.columns.index(c) for c in columns]
    label_col = next((j for j in sorted(skip) if table.columns[j]), None) if skip else None
    if not cols:
        raise InputError([Problem("没有找到指标列（第一行应为指标名称）", sheet, "A1", file)])
    names = tuple(table.columns[j] for j in cols)
    dup = {x for x in names if names.count(x) > 1}
    for x in sorted(dup):
        problems.append(Problem(f"指标名称 {quote(x)} 重复", sheet, table.header_cell(cols[names.index(x)]), file))
    x = np.full((len(rows), len(cols)), np.nan)
    for r, i in enumerate(rows):
        for c, j in enumerate(cols):
            value = table.value(i, j)
            if is_blank(value):
                problems.append(Problem("数值为空（客观赋权需要完整的数据）", sheet, table.cell(i, j), file))
                continue
            number = parse_number(value)
            if number is None:
                problems.append(Problem(f"{quote(value)} 不是有效数字", sheet, table.cell(i, j), file))
            else:
                x[r, c] = number
    if problems:
        raise InputError(problems)
    if label_col is not None:
        units = tuple(cell_text(table.value(i, label_col)) or f"第{table.row_numbers[i]}行" for i in rows)
    else:
        units = tuple(f"第{table.row_numbers[i]}行" for i in rows)
    return names, units, x


# --- weights to points -----------------------------------------------------------
def apportion(weights: Sequence[float], total: float = 100.0, decimals: int = 1) -> list[float]:
    """Points from weights, rounded to ``decimals`` and still adding up to ``total``.

    Largest remainder (Hamilton): every share is rounded down to the grid, then the
    grid steps left over go to the largest remainders (earlier indicators win ties).
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise InputError("权重应为非负数且不全为 0")
    if decimals < 0:
        raise InputError("小数位数不能为负")
    scale = 10**decimals
    units = round(total * scale)
    if abs(units - total * scale) > 1e-6:
        raise InputError(f"总分 {fmt_num(total)} 不能按 {decimals} 位小数分配")
    exact = w / w.sum() * units
    base = np.floor(exact + 1e-9)
    left = int(units - base.sum())
    remainders = exact - base
    order = sorted(range(len(w)), key=lambda j: (-round(remainders[j], 9), j))
    for j in order[:left]:
        base[j] += 1
    return [round(float(b) / scale, decimals) for b in base]


# --- plain ranges (the Excel layer: PERF_AHP, PERF_ENTROPY, PERF_CRITIC) ----------
def _is_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != "" and _cell_fraction(value) is None


def _grid(rows: object) -> list[list[object]]:
    if not isinstance(rows, (list, tuple)):
        return [[rows]]
    return [list(r) if isinstance(r, (list, tuple)) else [r] for r in rows]


def ahp_from_rows(rows: object, method: str = "eigen", ri: str = "saaty") -> AhpResult:
    """AHP of a range as Excel passes it (a list of rows).

    With names (text in the first row), the layout of :func:`pairwise_from_table`; a bare
    square block of numbers gets the names C1, C2, …. Problems name cells relative to the
    range (its top-left cell is A1).
    """
    grid = _grid(rows)
    named = any(_is_text(v) for v in grid[0]) or (len(grid) > 1 and _is_text(grid[1][0]))
    if not named:
        n = len(grid)
        grid = [["", *(f"C{j + 1}" for j in range(n))]] + [[f"C{i + 1}", *r] for i, r in enumerate(grid)]
    names, matrix = pairwise_from_table(Table.from_rows("", grid))
    return ahp(matrix, names, method, ri)


def weights_from_rows(rows: object, directions: object = None, method: str = "entropy") -> DataWeights:
    """Entropy or CRITIC weights of a range (units in rows); ``directions`` is text
    (``+,-,+``), a range of cells (正向/逆向/+/-) or None (all 正向)."""
    grid = _grid(rows)
    if not any(_is_text(v) for v in grid[0][1:]):
        k = max(len(r) for r in grid)
        grid = [[f"C{j + 1}" for j in range(k)]] + grid
    names, _, values = data_from_table(Table.from_rows("", grid))
    if directions is None or (isinstance(directions, str) and not directions.strip()):
        positive = None
    elif isinstance(directions, str):
        positive = parse_directions(directions, len(names))
    else:
        flat = [v for r in _grid(directions) for v in r if not is_blank(v)]
        positive = parse_directions(",".join(str(v) for v in flat), len(names))
    fn = {"entropy": entropy_weights, "critic": critic_weights}.get(method)
    if fn is None:
        raise InputError(f"方法 {quote(method)} 无效（应为 entropy 或 critic）")
    return fn(values, positive, names)
