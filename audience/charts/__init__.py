"""Charts for the HTML report (audience.segment_report), drawn with matplotlib.

Every chart function returns one ``<svg>`` element as a string, ready to be inlined in HTML:
text stays text (``svg.fonttype='none'``), no scripts, no external fonts or stylesheets, so the
report stays one file that opens offline. All text that may come from data is escaped.

- :mod:`audience.charts.plots`: ``bar_chart``, ``line_chart``, ``heatmap``, ``box_plot``;
- :mod:`audience.charts.svg`: a matplotlib figure as inline SVG, its data marks labelled;
- :mod:`audience.charts.formats`: how numbers, percentages and ticks print;
- :mod:`audience.charts.scales`: box-plot statistics and the symmetric log axis.
"""

from audience.charts.formats import esc, fmt_num, fmt_pct, fmt_pct_tick, fmt_tick, shorten, tick_format_for
from audience.charts.plots import bar_chart, box_plot, heatmap, line_chart
from audience.charts.scales import BoxStats, box_stats, log_domain, log_ticks, symlog

__all__ = [
    "BoxStats",
    "bar_chart",
    "box_plot",
    "box_stats",
    "esc",
    "fmt_num",
    "fmt_pct",
    "fmt_pct_tick",
    "fmt_tick",
    "heatmap",
    "line_chart",
    "log_domain",
    "log_ticks",
    "shorten",
    "symlog",
    "tick_format_for",
]
