"""Small, dependency-free SVG charts for the HTML report (audience.segment_report).

Every function returns one ``<svg>`` element as a string, ready to be inlined in HTML: no
scripts, no external fonts or stylesheets, so the report stays one file that opens offline.
All text that may come from data goes through :func:`html.escape`.

The marks carry ``class`` and ``data-*`` attributes (``class="point"``, ``class="bar"``,
``class="cell"``, ``class="box"``) so tests and readers can find them and check their values.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

# Okabe-Ito colour-blind safe palette (black dropped), then a few Tableau colours.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#4E79A7",
    "#9C755F",
    "#B07AA1",
)
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"
FONT_SIZE = 11  # px, of every label but the title
TITLE_SIZE = 13  # px, bold

# Advance widths of Helvetica / Arial (metric-compatible) in 1/1000 em for printable ASCII, ' ' to '~'
# (Adobe's Helvetica AFM). Labels are measured with these instead of a flat width per character,
# so a margin fits its longest label whether it is "iiii" or "WWWW".
_ASCII_WIDTHS = (
    (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278)  # space ! " ... /
    + (556,) * 10  # 0-9
    + (278, 278, 584, 584, 584, 556, 1015)  # : ; < = > ? @
    + (667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833)  # A-M
    + (722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611)  # N-Z
    + (278, 278, 278, 469, 556, 333)  # [ \ ] ^ _ `
    + (556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833)  # a-m
    + (556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500)  # n-z
    + (334, 260, 334, 584)  # { | } ~
)
if len(_ASCII_WIDTHS) != 95:
    raise AssertionError(f"_ASCII_WIDTHS must have 95 entries, has {len(_ASCII_WIDTHS)}")
_OTHER_WIDTHS = {"·": 278, "–": 556, "—": 1000, "…": 1000, "×": 584, "’": 222, "‘": 222}
UNKNOWN_WIDTH = 1000  # any other character counts as a full em (wide glyphs, CJK): errs on the safe side
WIDTH_SAFETY = 1.1  # system-ui faces (Segoe UI, Roboto, San Francisco) run up to ~10% wider than Arial
BOLD_FACTOR = 1.1  # bold glyphs are up to ~10% wider than regular ones
ELLIPSIS = "…"


def esc(text: object) -> str:
    """Escape any value for use as SVG/HTML text or attribute value."""
    return html.escape(str(text), quote=True)


def fmt_num(value: float | None) -> str:
    """Readable number: thousands separators, fewer decimals for larger values, '–' for missing."""
    if value is None:
        return "–"
    v = float(value)
    if not math.isfinite(v):
        return "–"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * float(value):.{digits}f}%"


def fmt_tick(value: float) -> str:
    """An axis tick with as few decimals as it needs: 0, 2.5, 20, 12,500, 0.05."""
    v = float(value)
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else "–"
    return f"{v:,.10f}".rstrip("0").rstrip(".")


def fmt_pct_tick(value: float) -> str:
    """A share on a percentage axis with as few decimals as it needs: 20%, 2.5%, 0.25%."""
    return fmt_tick(100 * float(value)) + "%"


def tick_format_for(value_format: Callable[[float], str]) -> Callable[[float], str]:
    """The tick format of an axis whose values print with `value_format`: percentages stay
    percentages (:func:`fmt_pct_tick`), anything else is a plain number (:func:`fmt_tick`)."""
    return fmt_pct_tick if value_format is fmt_pct else fmt_tick


def text_width(text: str, font_size: float = FONT_SIZE, bold: bool = False) -> float:
    """Upper estimate of the rendered width of `text` in px (Arial metrics plus a safety margin)."""
    units = 0
    for ch in str(text):
        o = ord(ch)
        units += _ASCII_WIDTHS[o - 32] if 32 <= o <= 126 else _OTHER_WIDTHS.get(ch, UNKNOWN_WIDTH)
    return units / 1000 * font_size * WIDTH_SAFETY * (BOLD_FACTOR if bold else 1.0)


def fit_text(text: str, max_px: float, font_size: float = FONT_SIZE, bold: bool = False) -> str:
    """`text` itself if it fits in `max_px`, else its longest prefix that fits with an ellipsis added."""
    text = str(text)
    if text_width(text, font_size, bold) <= max_px:
        return text
    keep = len(text)
    while keep > 0 and text_width(text[:keep].rstrip() + ELLIPSIS, font_size, bold) > max_px:
        keep -= 1
    return text[:keep].rstrip() + ELLIPSIS


def text_label(x: float, y: float, text: str, max_px: float, *, anchor: str = "end") -> str:
    """A ``<text>`` label cut to `max_px` with an ellipsis; a cut label keeps its full text in a
    ``<title>`` tooltip."""
    shown = fit_text(text, max_px)
    tip = f"<title>{esc(text)}</title>" if shown != str(text) else ""
    return f'<text x="{x:.1f}" y="{y:.2f}" text-anchor="{anchor}">{esc(shown)}{tip}</text>'


@dataclass(frozen=True)
class Frame:
    """Size of a chart and the margins around its plot area, in pixels."""

    width: int = 640
    height: int = 300
    left: int = 64
    right: int = 20
    top: int = 32
    bottom: int = 48

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom


def linear_scale(domain: tuple[float, float], pixels: tuple[float, float]) -> Callable[[float], float]:
    """Map `domain` linearly onto `pixels` (a zero-width domain maps to the middle)."""
    d0, d1 = float(domain[0]), float(domain[1])
    p0, p1 = float(pixels[0]), float(pixels[1])
    if d1 == d0:
        return lambda v: (p0 + p1) / 2
    k = (p1 - p0) / (d1 - d0)
    return lambda v: p0 + (float(v) - d0) * k


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About `n` round tick values (steps of 1, 2, 2.5 or 5 x 10^k) covering [lo, hi]."""
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"nice_ticks needs finite bounds, got {lo}, {hi}")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    count = int(round((stop - start) / step))
    return [round(start + i * step, 12) for i in range(count + 1)]


def _ticks_in(domain: tuple[float, float]) -> list[float]:
    """The :func:`nice_ticks` of `domain` that lie inside it."""
    lo, hi = domain
    return [v for v in nice_ticks(lo, hi) if lo - 1e-12 <= v <= hi + 1e-12]


def symlog(value: float) -> float:
    """log10(1 + |v|) with the sign of v: logarithmic for large values, 0 at 0, defined for v <= 0."""
    v = float(value)
    return math.copysign(math.log10(1 + abs(v)), v)


def _step125(a: float, up: bool) -> float:
    """The nearest 1, 2 or 5 x 10^k at or above (`up`) or at or below `a` > 0."""
    mag = 10 ** math.floor(math.log10(a))
    steps = [m * mag for m in (1, 2, 5, 10)]
    if up:
        return next(v for v in steps if v >= a * (1 - 1e-12))
    return max(v for v in steps if v <= a * (1 + 1e-12))


def log_domain(values: Sequence[float]) -> tuple[float, float]:
    """Bounds of a :func:`symlog` axis over `values`, rounded out to 1, 2 or 5 x 10^k (or 0).

    The lower bound is 0 when the smallest value is in [0, 1), as for CLV: the axis then starts
    at "nothing" and, being log10(1 + v), still spreads 1 to 10,000 evenly."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return (0.0, 1.0)
    lo, hi = min(finite), max(finite)

    def out(v: float, up: bool) -> float:
        if v == 0:
            return 0.0
        if v > 0:
            return _step125(v, up) if up or v >= 1 else 0.0
        return -out(-v, not up)

    lo, hi = out(lo, up=False), out(hi, up=True)
    if hi <= lo:
        hi = lo + 1.0 if lo >= 0 else 0.0
    return (lo, hi)


def log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks of a :func:`symlog` axis on [lo, hi]: 0 and powers of ten (and 2 and 5 x 10^k when
    it spans under three decades), plus both bounds."""
    lo, hi = float(lo), float(hi)
    if hi < lo:
        lo, hi = hi, lo
    dense = symlog(hi) - symlog(lo) < 3
    top = max(abs(lo), abs(hi), 1.0)
    magnitudes = [0.0]
    k = 0
    while 10**k <= top:
        magnitudes += [m * 10**k for m in ((1, 2, 5) if dense else (1,))]
        k += 1
    candidates = {m for m in magnitudes} | {-m for m in magnitudes} | {lo, hi}
    return sorted(v for v in candidates if lo <= v <= hi)


def _svg_open(frame: Frame, title: str, fig_id: str | None) -> list[str]:
    ident = f' id="{esc(fig_id)}"' if fig_id else ""
    # the title starts over the plot area; a long one moves left, and is cut if even that is too little
    room = frame.width - 8
    shown = fit_text(title, room, TITLE_SIZE, bold=True)
    x = max(4.0, min(frame.left, room + 4 - text_width(shown, TITLE_SIZE, bold=True)))
    return [
        f'<svg{ident} class="chart" role="img" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="{frame.width}" height="{frame.height}" '
        f'style="{FONT};font-size:{FONT_SIZE}px">',
        f"<title>{esc(title)}</title>",
        f'<text x="{x:.1f}" y="18" font-size="{TITLE_SIZE}" font-weight="600">{esc(shown)}</text>',
    ]


def _legend_layout(names: Sequence[str], width: int) -> list[tuple[float, int]]:
    """(x, row) of each legend entry: left to right under the title, wrapping at `width`."""
    pos, x, row = [], 8.0, 0
    for name in names:
        w = 16 + text_width(name) + 10
        if x + w > width - 8 and x > 8:
            x, row = 8.0, row + 1
        pos.append((x, row))
        x += w
    return pos


def _legend_height(names: Sequence[str], width: int) -> int:
    """Extra top margin the legend needs (0 for a single series, which needs no legend)."""
    if len(names) < 2:
        return 0
    return 16 * (1 + max(r for _, r in _legend_layout(names, width)))


def _legend(names: Sequence[str], frame: Frame, colours: Sequence[str]) -> list[str]:
    out = ['<g class="legend">']
    for name, colour, (x, row) in zip(names, colours, _legend_layout(names, frame.width), strict=True):
        y = 26 + 16 * row
        out.append(f'<rect x="{x:.1f}" y="{y}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="{y + 9}">{esc(name)}</text>')
    out.append("</g>")
    return out


def _domain(values: Sequence[float], include_zero: bool = False) -> tuple[float, float]:
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return (0.0, 1.0)
    lo, hi = min(finite), max(finite)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    ticks = nice_ticks(lo, hi)
    return ticks[0], ticks[-1]


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
    frame: Frame = Frame(),
    fig_id: str | None = None,
) -> str:
    """A line chart of one or more series of (x, y) points, with an optional vertical marker.

    Each point is a ``<circle class="point">`` at ``cx = left + (x - x0) / (x1 - x0) * plot_w``
    and ``cy = top + (1 - (y - y0) / (y1 - y0)) * plot_h`` for the domains [x0, x1], [y0, y1]
    (given, or the data range, with 0 if `include_zero`, rounded out to nice ticks). `y_format`
    prints values in tooltips; y ticks print with `y_tick_format` (default: :func:`tick_format_for`).
    """
    all_pts = [(float(x), float(y)) for pts in series.values() for x, y in pts if y is not None]
    xs = [p[0] for p in all_pts]
    ys = [p[1] for p in all_pts if math.isfinite(p[1])]
    if x_domain is None:
        x_domain = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if y_domain is None:
        y_domain = _domain(ys, include_zero=include_zero)
    extra = _legend_height(list(series), frame.width)
    frame = replace(frame, top=frame.top + extra, height=frame.height + extra)
    sx = linear_scale(x_domain, (frame.left, frame.left + frame.plot_w))
    sy = linear_scale(y_domain, (frame.top + frame.plot_h, frame.top))
    out = _svg_open(frame, title, fig_id)
    out += _axes(frame, y_domain, sy, y_tick_format or tick_format_for(y_format), x_label, y_label)
    if x_ticks is None:
        x_ticks = (
            [(v, fmt_tick(v)) for v in sorted(set(xs))]
            if len(set(xs)) <= 12
            else [(v, fmt_tick(v)) for v in nice_ticks(*x_domain) if x_domain[0] <= v <= x_domain[1]]
        )
    base = frame.top + frame.plot_h
    for v, label in x_ticks:
        px = sx(v)
        out.append(f'<line x1="{px:.2f}" y1="{base}" x2="{px:.2f}" y2="{base + 4}" stroke="#555"/>')
        out.append(f'<text x="{px:.2f}" y="{base + 16}" text-anchor="middle">{esc(label)}</text>')
    if marker_x is not None:
        px = sx(marker_x)
        out.append(
            f'<line class="marker" data-x="{esc(marker_x)}" x1="{px:.2f}" y1="{frame.top}" '
            f'x2="{px:.2f}" y2="{base}" stroke="#D55E00" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        if marker_label:
            out.append(
                f'<text x="{px + 4:.2f}" y="{frame.top + 12}" fill="#D55E00" '
                f'font-weight="600">{esc(marker_label)}</text>'
            )
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    for (name, pts), colour in zip(series.items(), colours, strict=True):
        clean = [(float(x), float(y)) for x, y in pts if y is not None and math.isfinite(float(y))]
        if len(clean) > 1:
            path = " ".join(f"{sx(x):.2f},{sy(y):.2f}" for x, y in clean)
            out.append(
                f'<polyline class="line" data-series="{esc(name)}" points="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        for x, y in clean:
            out.append(
                f'<circle class="point" data-series="{esc(name)}" data-x="{esc(x)}" data-y="{esc(y)}" '
                f'cx="{sx(x):.2f}" cy="{sy(y):.2f}" r="3.5" fill="{colour}">'
                f"<title>{esc(name)}: {esc(fmt_num(x))}, {esc(y_format(y))}</title></circle>"
            )
    if len(series) > 1:
        out += _legend(list(series), frame, colours)
    out.append("</svg>")
    return "\n".join(out)


def _axes(
    frame: Frame,
    y_domain: tuple[float, float],
    sy: Callable[[float], float],
    tick_format: Callable[[float], str],
    x_label: str,
    y_label: str,
) -> list[str]:
    """Horizontal grid lines with y tick labels, the x axis line and the axis titles."""
    out = []
    x0, x1 = frame.left, frame.left + frame.plot_w
    for v in nice_ticks(*y_domain):
        if y_domain[0] - 1e-12 <= v <= y_domain[1] + 1e-12:
            py = sy(v)
            out.append(f'<line x1="{x0}" y1="{py:.2f}" x2="{x1:.2f}" y2="{py:.2f}" stroke="#e3e3e3"/>')
            out.append(f'<text x="{x0 - 6}" y="{py + 4:.2f}" text-anchor="end">{esc(tick_format(v))}</text>')
    base = frame.top + frame.plot_h
    out.append(f'<line x1="{x0}" y1="{base:.2f}" x2="{x1:.2f}" y2="{base:.2f}" stroke="#555"/>')
    if x_label:
        out.append(
            f'<text x="{x0 + frame.plot_w / 2:.2f}" y="{frame.height - 8}" text-anchor="middle">'
            f"{esc(x_label)}</text>"
        )
    if y_label:
        cy = frame.top + frame.plot_h / 2
        out.append(
            f'<text transform="translate(14 {cy:.2f}) rotate(-90)" text-anchor="middle">{esc(y_label)}</text>'
        )
    return out


def _x_grid(
    frame: Frame,
    ticks: Sequence[float],
    sx: Callable[[float], float],
    tick_format: Callable[[float], str],
    x_label: str,
) -> list[str]:
    """Vertical grid lines at `ticks` with their labels under the plot, and the x axis title.

    A label that would overlap the previous one is left out (its grid line stays)."""
    out = []
    top, bottom = frame.top, frame.top + frame.plot_h
    last_right = -math.inf
    for v in ticks:
        px = sx(v)
        out.append(f'<line x1="{px:.2f}" y1="{top}" x2="{px:.2f}" y2="{bottom:.2f}" stroke="#e3e3e3"/>')
        text = tick_format(v)
        half = text_width(text) / 2
        if px - half >= last_right + 4:
            out.append(
                f'<text class="tick" data-value="{esc(v)}" x="{px:.2f}" y="{bottom + 14:.2f}" '
                f'text-anchor="middle">{esc(text)}</text>'
            )
            last_right = px + half
    if x_label:
        out.append(
            f'<text x="{frame.left + frame.plot_w / 2:.2f}" y="{frame.height - 6}" text-anchor="middle">'
            f"{esc(x_label)}</text>"
        )
    return out


LABEL_GAP = 6  # px between a category label's end and the plot
LABEL_PAD = 4  # px kept free left of the longest label


def _label_margin(labels: Sequence[str], width: int, minimum: int = 60, share: float = 0.4) -> int:
    """Left margin that fits the longest category label, at most `share` of the chart `width`
    (longer labels are cut with an ellipsis by :func:`_category_label`)."""
    longest = max((text_width(s) for s in labels), default=0.0)
    return int(min(max(minimum, math.ceil(longest + LABEL_GAP + LABEL_PAD)), max(minimum, share * width)))


def _category_label(left: float, y: float, text: str) -> str:
    """A category label ending `LABEL_GAP` px left of the plot, cut to fit inside the margin."""
    return text_label(left - LABEL_GAP, y, text, left - LABEL_GAP - LABEL_PAD)


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
    fig_id: str | None = None,
) -> str:
    """Horizontal bars, one group per category and one bar per series in the group.

    Each bar is a ``<rect class="bar" data-category=... data-series=... data-value=...>``, so a
    chart of n categories and m series has n * m bars. Bars start at zero (or at the domain's
    lower bound when it is above zero); an optional vertical reference line marks e.g. a threshold.
    Bar values print with `value_format`, axis ticks with `tick_format` (default:
    :func:`tick_format_for`). Category labels too long for the margin are cut with an ellipsis.
    """
    names = list(series)
    values = [float(v) for s in series.values() for v in s if v is not None and math.isfinite(float(v))]
    for name, vals in series.items():
        if len(vals) != len(categories):
            raise ValueError(f"series {name!r} has {len(vals)} values for {len(categories)} categories")
    bar_h = 14 if len(names) > 1 else 18
    group_h = bar_h * len(names) + 10
    extra = _legend_height(names, width)
    frame = Frame(
        width=width,
        height=int(32 + extra + group_h * max(len(categories), 1) + (40 if x_label else 24)),
        left=_label_margin(categories, width),
        right=70,
        top=32 + extra,
        bottom=40 if x_label else 24,
    )
    if x_domain is None:
        x_domain = _domain(values + ([reference] if reference is not None else []), include_zero=True)
    sx = linear_scale(x_domain, (frame.left, frame.left + frame.plot_w))
    zero = sx(max(x_domain[0], min(0.0, x_domain[1])))
    out = _svg_open(frame, title, fig_id)
    top, bottom = frame.top, frame.top + frame.plot_h
    out += _x_grid(frame, _ticks_in(x_domain), sx, tick_format or tick_format_for(value_format), x_label)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    group_space = frame.plot_h / max(len(categories), 1)
    for i, cat in enumerate(categories):
        y0 = top + i * group_space + (group_space - bar_h * len(names)) / 2
        out.append(_category_label(frame.left, y0 + bar_h * len(names) / 2 + 4, cat))
        for j, (name, colour) in enumerate(zip(names, colours, strict=True)):
            raw = series[name][i]
            v = float(raw) if raw is not None and math.isfinite(float(raw)) else 0.0
            px = sx(min(max(v, x_domain[0]), x_domain[1]))
            x, w = min(zero, px), abs(px - zero)
            y = y0 + j * bar_h
            out.append(
                f'<rect class="bar" data-category="{esc(cat)}" data-series="{esc(name)}" '
                f'data-value="{esc(raw)}" x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{bar_h - 2}" '
                f'fill="{colour}"><title>{esc(cat)} · {esc(name)}: {esc(value_format(v))}</title></rect>'
            )
            out.append(
                f'<text x="{max(x + w, zero) + 4:.2f}" y="{y + bar_h - 5:.2f}">{esc(value_format(v))}</text>'
            )
    out.append(f'<line x1="{zero:.2f}" y1="{top}" x2="{zero:.2f}" y2="{bottom:.2f}" stroke="#555"/>')
    if reference is not None:
        px = sx(reference)
        out.append(
            f'<line class="reference" data-x="{esc(reference)}" x1="{px:.2f}" y1="{top - 4}" x2="{px:.2f}" '
            f'y2="{bottom:.2f}" stroke="#D55E00" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        if reference_label:
            # right of the line, or left of it (anchored at its end) when it would leave the chart
            if px + 3 + text_width(reference_label) <= frame.width:
                at, anchor = px + 3, ""
            else:
                at, anchor = px - 3, ' text-anchor="end"'
            out.append(
                f'<text x="{at:.2f}" y="{top - 6}"{anchor} fill="#D55E00">{esc(reference_label)}</text>'
            )
    if len(names) > 1:
        out += _legend(names, frame, colours)
    out.append("</svg>")
    return "\n".join(out)


def diverging_colour(value: float, limit: float) -> str:
    """Blue (negative) - white (0) - orange-red (positive) colour for `value` in [-limit, limit]."""
    if value is None or not math.isfinite(value) or limit <= 0:
        return "#f2f2f2"
    t = max(-1.0, min(1.0, value / limit))
    lo, hi, mid = (33, 102, 172), (202, 82, 40), (247, 247, 247)
    end = hi if t > 0 else lo
    a = abs(t)
    r, g, b = (round(m + (e - m) * a) for m, e in zip(mid, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


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
    fig_id: str | None = None,
) -> str:
    """A grid of ``len(row_labels) x len(col_labels)`` ``<rect class="cell">`` coloured by value.

    Colours diverge from 0 (blue below, red above) up to ``limit`` (default: the largest
    absolute value); ``annotations`` (same shape) are printed in the cells, else the values.
    """
    if len(values) != len(row_labels) or any(len(r) != len(col_labels) for r in values):
        raise ValueError(f"heatmap values must be {len(row_labels)} rows x {len(col_labels)} columns")
    flat = [abs(float(v)) for r in values for v in r if v is not None and math.isfinite(float(v))]
    if limit is None:
        limit = max(flat, default=1.0) or 1.0
    left = _label_margin(row_labels, Frame().width, minimum=80)  # at most 40 % of a default-width chart
    # column labels are rotated by 35 degrees: cos 35 = 0.82 of their length runs right, sin 35 = 0.57 up
    longest = max((text_width(c) for c in col_labels), default=0.0)
    header = int(0.57 * longest) + 12
    right = max(20, int(0.82 * text_width(col_labels[-1]) - cell_w / 2) + 8) if col_labels else 20
    frame = Frame(
        width=left + cell_w * len(col_labels) + right,
        height=32 + header + cell_h * len(row_labels) + 34,
        left=left,
        right=right,
        top=32 + header,
        bottom=34,
    )
    out = _svg_open(frame, title, fig_id)
    for j, col in enumerate(col_labels):
        cx = left + j * cell_w + cell_w / 2
        out.append(
            f'<text transform="translate({cx:.1f} {frame.top - 6}) rotate(-35)" text-anchor="start">'
            f"{esc(col)}</text>"
        )
    for i, row in enumerate(row_labels):
        y = frame.top + i * cell_h
        out.append(_category_label(left, y + cell_h / 2 + 4, row))
        for j, col in enumerate(col_labels):
            v = values[i][j]
            fv = float(v) if v is not None else float("nan")
            fill = diverging_colour(fv, limit)
            x = left + j * cell_w
            text = annotations[i][j] if annotations is not None else fmt_num(fv)
            dark = math.isfinite(fv) and abs(fv) / limit > 0.6
            out.append(
                f'<rect class="cell" data-row="{esc(row)}" data-col="{esc(col)}" data-value="{esc(v)}" '
                f'x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}">'
                f"<title>{esc(row)} · {esc(col)}: {esc(fmt_num(fv))}</title></rect>"
            )
            out.append(
                f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + cell_h / 2 + 3:.1f}" text-anchor="middle" '
                f'fill="{"#fff" if dark else "#222"}">{esc(text)}</text>'
            )
    # colour key
    ky = frame.height - 18
    for k in range(21):
        t = -1 + k / 10
        out.append(
            f'<rect x="{left + k * 8}" y="{ky}" width="8" height="8" '
            f'fill="{diverging_colour(t * limit, limit)}"/>'
        )
    out.append(f'<text x="{left - 6}" y="{ky + 8}" text-anchor="end">{esc(fmt_num(-limit))}</text>')
    out.append(f'<text x="{left + 21 * 8 + 6}" y="{ky + 8}">{esc(fmt_num(limit))}</text>')
    out.append("</svg>")
    return "\n".join(out)


@dataclass(frozen=True)
class BoxStats:
    """Distribution summary drawn by :func:`box_plot` (whiskers at the 5th and 95th percentile)."""

    n: int
    mean: float
    p05: float
    q1: float
    median: float
    q3: float
    p95: float
    minimum: float
    maximum: float


def box_stats(values: Sequence[float]) -> BoxStats:
    """Summary of the finite values (linear-interpolated percentiles); raises on no values."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        raise ValueError("box_stats needs at least one finite value")
    p05, q1, med, q3, p95 = np.percentile(arr, [5, 25, 50, 75, 95])
    return BoxStats(
        int(arr.size),
        float(arr.mean()),
        float(p05),
        float(q1),
        float(med),
        float(q3),
        float(p95),
        float(arr.min()),
        float(arr.max()),
    )


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
    fig_id: str | None = None,
) -> str:
    """Horizontal box plots, one ``<g class="box">`` per group: box = quartiles, line = median,
    whiskers = 5th-95th percentile, diamond = mean.

    ``scale="log"`` puts the values on a :func:`symlog` axis (log10 of 1 + |v|, so 0 and negative
    values have a place) with ticks at 0, 1, 10, 100, ... (:func:`log_ticks`): use it for skewed,
    heavy-tailed values such as CLV, where one high-value group would squeeze the others into a
    few pixels on a linear axis. The ``<svg>`` then carries ``data-scale="log"``.
    """
    if scale not in ("linear", "log"):
        raise ValueError(f"box_plot scale must be 'linear' or 'log', got {scale!r}")
    labels = [g for g, _ in groups]
    row_h = 30
    frame = Frame(
        width=width,
        height=32 + 16 + row_h * max(len(groups), 1) + (40 if x_label else 24),
        left=_label_margin(labels, width),
        right=24,
        top=36,
        bottom=40 if x_label else 24,
    )
    values = [v for _, s in groups for v in (s.p05, s.p95, s.mean)]
    pixels = (frame.left, frame.left + frame.plot_w)
    if scale == "log":
        x_domain = x_domain or log_domain(values)
        to_px = linear_scale((symlog(x_domain[0]), symlog(x_domain[1])), pixels)

        def sx(v: float) -> float:
            return to_px(symlog(v))

        ticks = log_ticks(*x_domain)
    else:
        x_domain = x_domain or _domain(values)
        sx = linear_scale(x_domain, pixels)
        ticks = _ticks_in(x_domain)
    out = _svg_open(frame, title, fig_id)
    if scale == "log":
        out[0] = out[0].replace('class="chart"', 'class="chart" data-scale="log"', 1)
    top = frame.top
    out += _x_grid(frame, ticks, sx, tick_format or tick_format_for(value_format), x_label)

    def clamp(v: float) -> float:
        return sx(min(max(v, x_domain[0]), x_domain[1]))

    for i, (group, s) in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        cy = top + i * row_h + row_h / 2
        tip = (
            f"{group}: n={s.n:,}, median {value_format(s.median)}, mean {value_format(s.mean)}, "
            f"IQR {value_format(s.q1)}–{value_format(s.q3)}, "
            f"p5–p95 {value_format(s.p05)}–{value_format(s.p95)}"
        )
        out.append(
            f'<g class="box" data-group="{esc(group)}" data-median="{esc(s.median)}" data-n="{s.n}">'
            f"<title>{esc(tip)}</title>"
        )
        out.append(_category_label(frame.left, cy + 4, group))
        out.append(
            f'<line x1="{clamp(s.p05):.2f}" y1="{cy:.2f}" x2="{clamp(s.p95):.2f}" y2="{cy:.2f}" '
            f'stroke="#555"/>'
        )
        for w in (s.p05, s.p95):
            xw = clamp(w)
            out.append(
                f'<line x1="{xw:.2f}" y1="{cy - 6:.2f}" x2="{xw:.2f}" y2="{cy + 6:.2f}" stroke="#555"/>'
            )
        out.append(
            f'<rect x="{clamp(s.q1):.2f}" y="{cy - 9:.2f}" width="{max(clamp(s.q3) - clamp(s.q1), 1):.2f}" '
            f'height="18" fill="{colour}" fill-opacity="0.35" stroke="{colour}"/>'
        )
        out.append(
            f'<line class="median" x1="{clamp(s.median):.2f}" y1="{cy - 9:.2f}" x2="{clamp(s.median):.2f}" '
            f'y2="{cy + 9:.2f}" stroke="{colour}" stroke-width="2.5"/>'
        )
        mx = clamp(s.mean)
        out.append(
            f'<path class="mean" d="M{mx:.2f} {cy - 5:.2f} L{mx + 5:.2f} {cy:.2f} L{mx:.2f} {cy + 5:.2f} '
            f'L{mx - 5:.2f} {cy:.2f} Z" fill="#222"/>'
        )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
