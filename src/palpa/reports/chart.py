"""Progress chart of an episode: each measure over visits, its MCID band and the reassessment triggers.

Rendered with matplotlib's Agg canvas (no GUI, no pyplot global state); output is deterministic.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

RC: dict[Any, Any] = {
    "svg.hashsalt": "palpa-progress-chart",  # fixed ids in the SVG
    "svg.fonttype": "none",                  # text stays text, so measure names are searchable
    "font.family": "DejaVu Sans",
    "font.size": 9,
}
BAND_COLOUR = "#9ecae1"
LINE_COLOUR = "#08519c"
TRIGGER_COLOUR = "#cb181d"


def _panel(ax: Axes, name: str, points: Sequence[tuple[int, float]],
           mcid: tuple[float, bool] | None, triggers: Sequence[tuple[int, str]], top: bool) -> None:
    """Draw one measure: its line, the band baseline +/- MCID, and a line per trigger."""
    pts = sorted(points)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    if mcid is not None and pts:
        value, higher_is_better = mcid
        base = ys[0]
        ax.axhspan(base - value, base + value, color=BAND_COLOUR, alpha=0.35, lw=0,
                   label=f"baseline +/- MCID ({value:g})")
        ax.axhline(base, color=BAND_COLOUR, lw=1, ls="--")
        arrow = "higher is better" if higher_is_better else "lower is better"
        ax.set_title(f"{name} ({arrow})", loc="left")
    else:
        ax.set_title(name, loc="left")
    ax.plot(xs, ys, marker="o", color=LINE_COLOUR, lw=1.8, label=name)
    for x, y in pts:
        ax.annotate(f"{y:g}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center",
                    fontsize=7)
    for visit, label in triggers:
        ax.axvline(visit, color=TRIGGER_COLOUR, lw=1, ls=":")
        if top:
            ax.annotate(label, (visit, 1.0), xycoords=("data", "axes fraction"), rotation=90,
                        textcoords="offset points", xytext=(3, -3), va="top", ha="left",
                        fontsize=7, color=TRIGGER_COLOUR)
    ax.set_ylabel(name)
    ax.grid(True, axis="y", lw=0.4, alpha=0.5)
    ax.legend(loc="lower left", fontsize=7, frameon=False)


def progress_chart(series: Mapping[str, list[tuple[int, float]]],
                   mcids: Mapping[str, tuple[float, bool]], triggers: list[tuple[int, str]],
                   fmt: Literal["png", "svg"]) -> bytes:
    """One subplot per measure (score by visit), shaded baseline +/- MCID, dotted trigger lines."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt: must be 'png' or 'svg', got {fmt!r}")
    measures = [m for m, pts in series.items() if pts]
    if not measures:
        raise ValueError("series: no measure has any score to plot")
    for m, (value, _higher) in mcids.items():
        if value <= 0:
            raise ValueError(f"mcids[{m!r}]: MCID must be more than 0, got {value}")
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.0, 2.4 * len(measures) + 0.4), dpi=100)
        FigureCanvasAgg(fig)
        axes = fig.subplots(len(measures), 1, sharex=True, squeeze=False)
        visits = sorted({v for m in measures for v, _ in series[m]} | {v for v, _ in triggers})
        for i, m in enumerate(measures):
            _panel(axes[i][0], m, series[m], mcids.get(m), triggers, top=(i == 0))
        bottom = axes[-1][0]
        bottom.set_xlabel("visit")
        bottom.set_xticks(visits)
        fig.suptitle("Progress over the episode", x=0.02, ha="left", fontsize=10)
        fig.tight_layout()
        buf = io.BytesIO()
        if fmt == "png":
            fig.savefig(buf, format="png", metadata={"Software": None})
        else:
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()
