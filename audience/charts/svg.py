"""A matplotlib figure as one ``<svg>`` element to inline in HTML, with its marks labelled.

matplotlib writes the SVG (``svg.fonttype='none'``: text stays ``<text>``, drawn with the
reader's sans-serif font, nothing embedded or fetched). This module then makes it fit for
inlining many charts in one page:

- every ``id`` (and ``url(#..)`` / ``href="#.."`` reference to it) gets the chart's id as prefix,
  so ids stay unique in the page;
- the root ``<svg>`` carries ``id``, ``class="chart"``, ``role="img"`` and a ``<title>``;
- an artist registered with :meth:`Marks.add` is matplotlib's ``<g>`` with ``class`` and
  ``data-*`` attributes holding the values it shows, and a ``<title>`` tooltip, so tests and
  readers can find a bar, a point or a box and check its value;
- tick groups get ``class="xtick"`` or ``class="ytick"``.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Mapping
from typing import ParamSpec, TypeVar

import matplotlib
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from audience.charts.formats import esc

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
ACCENT = "#D55E00"  # reference and marker lines
STYLE = {
    "svg.fonttype": "none",  # <text> elements, not glyph paths: small, selectable, no font file
    "svg.hashsalt": "audience",  # the same chart gives the same SVG
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial"],
    "font.size": 8.5,  # pt: about 11 px
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "grid.color": "#e3e3e3",
    "legend.frameon": False,
}
PX_PER_INCH = 96  # CSS px; matplotlib writes the SVG's size in pt (72 per inch), which browsers honour
NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


P = ParamSpec("P")
R = TypeVar("R")


def styled(draw: Callable[P, R]) -> Callable[P, R]:
    """Run a chart function with the report's matplotlib settings (:data:`STYLE`), which
    matplotlib reads while it creates and draws the artists."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)

    return wrapper


def new_figure(width_px: float, height_px: float) -> Figure:
    """A figure of about `width_px` x `height_px` (the saved SVG is cropped to what is drawn)."""
    return Figure(figsize=(width_px / PX_PER_INCH, height_px / PX_PER_INCH), dpi=PX_PER_INCH)


class Marks:
    """The artists of one chart that carry data, by the id matplotlib writes for them."""

    def __init__(self) -> None:
        self._marks: dict[str, tuple[str, dict[str, object], str]] = {}

    def add(self, artist: Artist, cls: str, data: Mapping[str, object], tip: str = "") -> None:
        gid = f"mark{len(self._marks)}"
        artist.set_gid(gid)
        self._marks[gid] = (cls, dict(data), tip)

    def attributes(self, gid: str) -> str | None:
        """The ``class``, ``data-*`` attributes and tooltip of a registered mark, None for others."""
        if gid not in self._marks:
            return None
        cls, data, tip = self._marks[gid]
        attrs = "".join(f' data-{k}="{esc(v)}"' for k, v in data.items())
        title = f"<title>{esc(tip)}</title>" if tip else ""
        return f' class="{cls}"{attrs}>{title}'


_ID = re.compile(r'<g id="([^"]+)"(/?)>')
_GEOMETRY = re.compile(r'( (?:d|x|y|x1|x2|y1|y2|width|height|transform|viewBox)=")([^"]*)"')
_DECIMALS = re.compile(r"(\d\.\d\d)\d+")
_LONE_CHILD = re.compile(r"<g>(<[a-z]+ [^<>]*/>|<text [^<>]*>[^<>]*</text>)</g>")
FONT_FAMILY = "font-family: " + ", ".join(f"'{f}'" for f in STYLE["font.sans-serif"]) + ", sans-serif"
_FONT_FAMILY = re.compile(re.escape(FONT_FAMILY) + ";? ?")


def _compact(svg: str) -> str:
    """matplotlib's SVG, smaller: coordinates to 1/100 pt, no indentation, the font family
    once on the ``<svg>`` element (set by :func:`to_svg`) instead of on every ``<text>``."""
    svg = _GEOMETRY.sub(lambda m: m.group(1) + _DECIMALS.sub(r"\1", m.group(2)) + '"', svg)
    svg = _FONT_FAMILY.sub("", svg)
    svg = re.sub(r' transform="rotate\(-?0 [^")]*\)"', "", svg)  # no rotation
    svg = re.sub(r">\s+<", "><", re.sub(r"\s*\n\s*", " ", svg))
    for _ in range(3):  # a group around one element and no attributes says nothing
        svg = _LONE_CHILD.sub(r"\1", svg)
    return svg


def to_svg(
    fig: Figure, marks: Marks, *, title: str, fig_id: str, root_data: Mapping[str, str] | None = None
) -> str:
    """`fig` as an inline ``<svg>`` element: see the module docstring."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.06, metadata=NO_METADATA)
    svg = buf.getvalue()
    svg = _compact(svg[svg.index("<svg") :])

    def group(m: re.Match[str]) -> str:
        gid, empty = m.groups()
        if empty:
            return ""
        extra = marks.attributes(gid)
        if extra is not None:
            return f"<g{extra}"
        if gid.startswith(("xtick_", "ytick_")):
            return f'<g class="{gid[0]}tick">'
        return "<g>"

    svg = _ID.sub(group, svg)  # matplotlib's group ids: nothing refers to them
    svg = re.sub(r'(<(?!g )[a-zA-Z]+[^>]*? id=")([^"]+)"', rf'\g<1>{fig_id}-\g<2>"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{fig_id}-\g<1>)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{fig_id}-\g<1>"', svg)
    data = "".join(f' data-{k}="{esc(v)}"' for k, v in (root_data or {}).items())
    head = f'<svg id="{esc(fig_id)}" class="chart" role="img"{data} style="{FONT_FAMILY}" '
    svg = svg.replace("<svg ", head, 1)
    close = svg.index(">", svg.index("<svg")) + 1
    return svg[:close] + f"<title>{esc(title)}</title>" + svg[close:].rstrip() + "\n"
