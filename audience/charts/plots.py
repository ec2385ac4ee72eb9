"""The report's four kinds of chart, drawn with matplotlib and returned as inline ``<svg>`` elements
(:mod:`audience.charts.svg`): horizontal bars, lines with points, a heatmap and box plots.

Each mark a reader or a test may check carries its values: ``<g class="bar" data-category
data-series data-value>``, ``<g class="point" data-series data-x data-y>``, ``<g class="cell"
data-row data-col data-value>``, ``<g class="box" data-group data-median data-n>``, and the
vertical lines ``<g class="reference" data-x>`` (a threshold) and ``<g class="marker" data-x>``
(e.g. the chosen k). Category labels longer than :data:`MAX_LABEL_CHARS` are cut with an
ellipsis on the axis; the marks keep the full text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter

from audience.charts.formats import fmt_num, fmt_tick, shorten, tick_format_for
from audience.charts.scales import BoxStats, log_domain, log_ticks
from audience.charts.svg import ACCENT, PALETTE, Marks, new_figure, styled, to_svg

MAX_LABEL_CHARS = 40  # category labels longer than this are cut on the axis (full text in the tooltip)
ROW_PX = 14  # height of one bar in px


def _finite(v: object) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _ticks(ax: Axes, axis: str, tick_format: Callable[[float], str]) -> None:
    getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(lambda v, _pos: tick_format(v)))


def _title(ax: Axes, title: str, legend_rows: int = 0) -> None:
    ax.set_title(shorten(title, 90), pad=6 + 14 * legend_rows)


def _legend(ax: Axes, n: int) -> int:
    """A legend above the plot for `n` > 1 series; returns the rows it takes (0 for no legend)."""
    if n < 2:
        return 0
    cols = min(n, 4)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=cols, borderaxespad=0.2, handlelength=1)
    return math.ceil(n / cols)


def _finish(
    ax: Axes, marks: Marks, *, title: str, fig_id: str, n_series: int, line: tuple[str, float, str] | None
) -> str:
    """Draw the dashed vertical `line` (mark class, x, label), the legend and the title; the SVG."""
    label_rows = 0
    if line is not None:
        cls, x, label = line
        marks.add(ax.axvline(x, color=ACCENT, linestyle="--", linewidth=1.5), cls, {"x": x}, label)
        if label:
            where = ax.get_xaxis_transform()  # x in data, y in axes units
            ax.annotate(
                label, (x, 1.0), xycoords=where, xytext=(3, 2), textcoords="offset points", color=ACCENT
            )
            label_rows = 1
    _title(ax, title, _legend(ax, n_series) + label_rows)
    return to_svg(ax.get_figure(), marks, title=title, fig_id=fig_id)


@styled
def bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str = "",
    value_format: Callable[[float], str] = fmt_num,
    tick_format: Callable[[float], str] | None = None,
    x_domain: tuple[float, float] | None = None,
    reference: float | None = None,
    reference_label: str = "",
    width: int = 640,
    fig_id: str = "chart",
) -> str:
    """Horizontal bars, one group per category (top to bottom) and one bar per series in it.

    A chart of n categories and m series has n * m ``bar`` marks; missing values draw as 0.
    Bars print their value with `value_format`; the axis ticks use `tick_format` (default:
    :func:`~audience.charts.formats.tick_format_for`). `reference` draws a dashed vertical line
    (e.g. a threshold) labelled `reference_label`."""
    names = list(series)
    for name, vals in series.items():
        if len(vals) != len(categories):
            raise ValueError(f"series {name!r} has {len(vals)} values for {len(categories)} categories")
    m = max(len(names), 1)
    fig = new_figure(width, 70 + max(len(categories), 1) * (ROW_PX * m + 10))
    ax = fig.add_subplot()
    marks = Marks()
    step = 0.8 / m
    for j, name in enumerate(names):
        raw = list(series[name])
        values = [_finite(v) or 0.0 for v in raw]
        ys = [i - 0.4 + step * (j + 0.5) for i in range(len(categories))]
        bars = ax.barh(ys, values, height=step * 0.9, color=_colour(j), label=name)
        for bar, cat, v, value in zip(bars, categories, raw, values, strict=True):
            tip = f"{cat} · {name}: {value_format(value)}"
            marks.add(bar, "bar", {"category": cat, "series": name, "value": v}, tip)
        ax.bar_label(bars, labels=[value_format(v) for v in values], padding=3)
    ax.set_yticks(range(len(categories)), [shorten(c, MAX_LABEL_CHARS) for c in categories])
    ax.set_ylim(len(categories) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    if x_domain is not None:
        ax.set_xlim(*x_domain)
    elif reference is not None:
        lo, hi = ax.get_xlim()
        ax.set_xlim(min(lo, reference), max(hi, reference * 1.05))
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    _ticks(ax, "x", tick_format or tick_format_for(value_format))
    ax.set_xlabel(x_label)
    line = ("reference", reference, reference_label) if reference is not None else None
    return _finish(ax, marks, title=title, fig_id=fig_id, n_series=len(names), line=line)


@styled
def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    x_label: str = "",
    y_label: str = "",
    marker_x: float | None = None,
    marker_label: str = "",
    x_domain: tuple[float, float] | None = None,
    y_domain: tuple[float, float] | None = None,
    x_ticks: Sequence[tuple[float, str]] | None = None,
    y_format: Callable[[float], str] = fmt_num,
    y_tick_format: Callable[[float], str] | None = None,
    include_zero: bool = False,
    width: int = 640,
    height: int = 300,
    fig_id: str = "chart",
) -> str:
    """Lines of one or more series of (x, y) points, each point a ``point`` mark, with an
    optional dashed vertical ``marker`` at `marker_x`. `y_format` prints values in tooltips; y
    ticks print with `y_tick_format` (default: :func:`~audience.charts.formats.tick_format_for`).
    Without `x_ticks`, up to 12 distinct x values are each a tick."""
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    marks = Marks()
    xs: set[float] = set()
    for j, (name, pts) in enumerate(series.items()):
        clean = [(float(x), y) for x, y in pts if _finite(y) is not None]
        xs.update(x for x, _ in pts)
        if len(clean) > 1:
            (line,) = ax.plot(
                [x for x, _ in clean], [y for _, y in clean], color=_colour(j), lw=2, label=name
            )
            marks.add(line, "line", {"series": name})
        for x, y in clean:
            (point,) = ax.plot([x], [y], "o", ms=6, color=_colour(j), label=None if len(clean) > 1 else name)
            marks.add(
                point, "point", {"series": name, "x": x, "y": y}, f"{name}: {fmt_num(x)}, {y_format(y)}"
            )
    if x_ticks is not None:
        ax.set_xticks([v for v, _ in x_ticks], [label for _, label in x_ticks])
    elif 0 < len(xs) <= 12:
        ax.set_xticks(sorted(xs), [fmt_tick(v) for v in sorted(xs)])
    if x_domain is not None:
        ax.set_xlim(*x_domain)
    if y_domain is not None:
        ax.set_ylim(*y_domain)
    elif include_zero:
        lo, hi = ax.get_ylim()
        ax.set_ylim(min(lo, 0.0), max(hi, 0.0))
    ax.grid(axis="y")
    _ticks(ax, "y", y_tick_format or tick_format_for(y_format))
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    line = ("marker", marker_x, marker_label) if marker_x is not None else None
    return _finish(ax, marks, title=title, fig_id=fig_id, n_series=len(series), line=line)


@styled
def heatmap(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    title: str,
    annotations: Sequence[Sequence[str]] | None = None,
    limit: float | None = None,
    cell_w: int = 92,
    cell_h: int = 30,
    fig_id: str = "chart",
) -> str:
    """A grid of ``len(row_labels) x len(col_labels)`` ``cell`` marks coloured by value.

    Colours diverge from 0 (blue below, red above) up to ``limit`` (default: the largest
    absolute value); ``annotations`` (same shape) are printed in the cells, else the values."""
    if len(values) != len(row_labels) or any(len(r) != len(col_labels) for r in values):
        raise ValueError(f"heatmap values must be {len(row_labels)} rows x {len(col_labels)} columns")
    flat = [abs(f) for r in values for v in r if (f := _finite(v)) is not None]
    limit = limit or max(flat, default=1.0) or 1.0
    fig = new_figure(200 + cell_w * len(col_labels), 110 + cell_h * len(row_labels))
    ax = fig.add_subplot()
    marks = Marks()
    norm, cmap = Normalize(-limit, limit), matplotlib.colormaps["RdBu_r"]
    for i, row in enumerate(row_labels):
        for j, col in enumerate(col_labels):
            v = _finite(values[i][j])
            fill = cmap(norm(v)) if v is not None else "#f2f2f2"
            cell = ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=fill, edgecolor="white"))
            marks.add(
                cell, "cell", {"row": row, "col": col, "value": values[i][j]}, f"{row} · {col}: {fmt_num(v)}"
            )
            text = annotations[i][j] if annotations is not None else fmt_num(v)
            dark = v is not None and abs(v) / limit > 0.6
            ax.text(j, i, text, ha="center", va="center", color="#fff" if dark else "#222")
    ax.set_xlim(-0.5, len(col_labels) - 0.5)
    ax.set_ylim(len(row_labels) - 0.5, -0.5)
    ax.xaxis.tick_top()
    ax.set_xticks(range(len(col_labels)), [shorten(c, 28) for c in col_labels], rotation=35, ha="left")
    ax.set_yticks(range(len(row_labels)), [shorten(r, MAX_LABEL_CHARS) for r in row_labels])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.colorbar(matplotlib.cm.ScalarMappable(norm, cmap), ax=ax, shrink=0.7, aspect=15, pad=0.02)
    _title(ax, title)
    return to_svg(fig, marks, title=title, fig_id=fig_id)


def _symlog_array(a: np.ndarray) -> np.ndarray:
    return np.sign(a) * np.log10(1 + np.abs(a))


def _symlog_array_inverse(a: np.ndarray) -> np.ndarray:
    return np.sign(a) * (10 ** np.abs(a) - 1)


@styled
def box_plot(
    groups: Sequence[tuple[str, BoxStats]],
    *,
    title: str,
    x_label: str = "",
    value_format: Callable[[float], str] = fmt_num,
    tick_format: Callable[[float], str] | None = None,
    x_domain: tuple[float, float] | None = None,
    scale: str = "linear",
    width: int = 640,
    fig_id: str = "chart",
) -> str:
    """Horizontal box plots (matplotlib's ``bxp``), one ``box`` mark per group: box = quartiles,
    thick line = median, whiskers = 5th-95th percentile, diamond = mean.

    ``scale="log"`` puts the values on a symmetric log axis (log10 of 1 + |v|, so 0 and negative
    values have a place) with ticks at 0, 1, 10, 100, ... (:func:`~audience.charts.scales.log_ticks`):
    for skewed, heavy-tailed values such as CLV, where one high-value group would squeeze the
    others into a few pixels on a linear axis. The ``<svg>`` then carries ``data-scale="log"``."""
    if scale not in ("linear", "log"):
        raise ValueError(f"box_plot scale must be 'linear' or 'log', got {scale!r}")
    fig = new_figure(width, 80 + 30 * max(len(groups), 1))
    ax = fig.add_subplot()
    marks = Marks()
    stats = [
        {
            "med": s.median,
            "q1": s.q1,
            "q3": s.q3,
            "whislo": s.p05,
            "whishi": s.p95,
            "mean": s.mean,
            "fliers": [],
        }
        for _, s in groups
    ]
    drawn = ax.bxp(
        stats,
        positions=range(len(groups)),
        orientation="horizontal",
        widths=0.6,
        patch_artist=True,
        showmeans=True,
        meanprops={"marker": "D", "markerfacecolor": "#222", "markeredgecolor": "#222", "markersize": 5},
        medianprops={"linewidth": 2.5},
    )
    for i, ((group, s), box, median) in enumerate(zip(groups, drawn["boxes"], drawn["medians"], strict=True)):
        box.set(facecolor=_colour(i), alpha=0.45, edgecolor=_colour(i))
        median.set_color(_colour(i))
        tip = (
            f"{group}: n={s.n:,}, median {value_format(s.median)}, mean {value_format(s.mean)}, "
            f"IQR {value_format(s.q1)}–{value_format(s.q3)}, "
            f"p5–p95 {value_format(s.p05)}–{value_format(s.p95)}"
        )
        marks.add(box, "box", {"group": group, "median": s.median, "n": s.n}, tip)
    ax.set_yticks(range(len(groups)), [shorten(g, MAX_LABEL_CHARS) for g, _ in groups])
    ax.set_ylim(len(groups) - 0.5, -0.5)
    values = [v for _, s in groups for v in (s.p05, s.p95, s.mean)]
    if scale == "log":
        ax.set_xscale("function", functions=(_symlog_array, _symlog_array_inverse))
        x_domain = x_domain or log_domain(values)
        ax.xaxis.set_major_locator(FixedLocator(log_ticks(*x_domain)))
    if x_domain is not None:
        ax.set_xlim(*x_domain)
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    _ticks(ax, "x", tick_format or tick_format_for(value_format))
    ax.set_xlabel(x_label)
    _title(ax, title)
    return to_svg(
        fig, marks, title=title, fig_id=fig_id, root_data={"scale": scale} if scale == "log" else {}
    )
