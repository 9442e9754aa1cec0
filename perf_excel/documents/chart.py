"""The feedback letter's chart: a unit's dimension scores against its category's average.

Drawn with matplotlib's object API (no pyplot state) in a CJK font found on the system.
Without a CJK font there is no chart and a warning — never boxes instead of characters.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

__all__ = ["CJK_FONT_FAMILIES", "ChartMaker", "find_cjk_font"]

#: Families tried in order: Linux (Noto, WenQuanYi, AR PL), Windows (YaHei, SimHei, SimSun), macOS.
CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "SimSun",
)


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The path of a font file with Chinese glyphs, or None if the system has none."""
    from matplotlib import font_manager

    by_name: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name, entry.fname)
    for family in CJK_FONT_FAMILIES:
        if family in by_name:
            return by_name[family]
    return None


class ChartMaker:
    """Draws one chart per letter, reusing one figure (creating a figure costs more than drawing)."""

    def __init__(self, font_path: str | None = None, dpi: int = 150) -> None:
        self.font_path = font_path if font_path is not None else find_cjk_font()
        self.dpi = dpi
        self._figures: dict[tuple, tuple] = {}

    @property
    def available(self) -> bool:
        return self.font_path is not None

    def png(
        self, dimensions: list[dict[str, Any]], unit_label: str = "本单位", average_label: str = "本类别平均"
    ) -> bytes:
        """PNG bytes of grouped bars (score and category average per dimension, full marks behind)."""
        if not self.available:
            raise RuntimeError("no CJK font")
        names = tuple(d["name"] for d in dimensions)
        key = (names, unit_label, average_label)
        drawing = self._figures.get(key)
        if drawing is None:
            drawing = self._figures[key] = self._new_figure(names, unit_label, average_label)
        fig, ax, full_bars, score_bars, avg_bars, labels = drawing
        values = (
            [d["full"] or 0.0 for d in dimensions],
            [d["score"] or 0.0 for d in dimensions],
            [d["average"] or 0.0 for d in dimensions],
        )
        for bars, vals in zip((full_bars, score_bars, avg_bars), values):
            for bar, v in zip(bars, vals):
                bar.set_height(v)
        for label, bar in zip(labels, [*score_bars, *avg_bars]):
            h = bar.get_height()
            label.set_text(f"{h:.2f}")
            label.xy = (bar.get_x() + bar.get_width() / 2, h)
        top = max([1.0, *values[0], *values[1], *values[2]])
        ax.set_ylim(0, top * 1.15)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=self.dpi, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
        return buf.getvalue()

    def _new_figure(self, names: tuple[str, ...], unit_label: str, average_label: str):
        """One figure per set of dimensions, drawn once and updated per letter (a new figure costs more)."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.font_manager import FontProperties

        font = FontProperties(fname=self.font_path, size=9)
        fig = Figure(figsize=(6.0, 2.6), dpi=self.dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        x = list(range(len(names)))
        w = 0.36
        zeros = [0.0] * len(names)
        full_bars = ax.bar(x, zeros, w * 2 + 0.08, color="#f2f2f2", edgecolor="#bfbfbf", linewidth=0.6, label="满分")
        score_bars = ax.bar([i - w / 2 for i in x], zeros, w, color="#c00000", label=unit_label)
        avg_bars = ax.bar([i + w / 2 for i in x], zeros, w, color="#7f7f7f", label=average_label)
        labels = [
            ax.annotate(
                "",
                (bar.get_x() + bar.get_width() / 2, 0),
                ha="center",
                va="bottom",
                fontsize=6.5,
                xytext=(0, 1),
                textcoords="offset points",
            )
            for bar in [*score_bars, *avg_bars]
        ]
        ax.set_xticks(x)
        ax.set_xticklabels(names, fontproperties=font)
        ax.set_ylabel("分", fontproperties=font)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(prop=FontProperties(fname=self.font_path, size=8), frameon=False, ncol=3, loc="upper right")
        # Fixed margins: tight_layout would draw the figure once more just to measure it.
        fig.subplots_adjust(left=0.08, right=0.99, top=0.93, bottom=0.12)
        return fig, ax, full_bars, score_bars, avg_bars, labels
