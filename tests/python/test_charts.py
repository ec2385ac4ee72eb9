"""Unit tests of the report's charts (audience.charts): matplotlib's SVG with its data marks labelled,
values drawn where they belong, text escaped, nothing loaded from outside the page."""

from __future__ import annotations

import re

import numpy as np
import pytest

from audience import charts
from tests.python.html_check import parse


def _marks(svg: str, cls: str):
    p = parse(svg)
    assert p.errors == []
    return [e for e in p.elements if e.tag == "g" and cls in e.attrs.get("class", "").split()]


def _extent(svg: str, mark) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) of the path or marker a mark group draws, in SVG units."""
    p = parse(svg)
    inner = [
        e
        for e in p.elements
        if mark in e.ancestors and e.tag in ("path", "use") and not any(a.tag == "defs" for a in e.ancestors)
    ]
    xs, ys = [], []
    for e in inner:
        if e.tag == "use":
            xs.append(float(e.attrs["x"]))
            ys.append(float(e.attrs["y"]))
        else:
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", e.attrs["d"])]
            xs += nums[0::2]
            ys += nums[1::2]
    return min(xs), max(xs), min(ys), max(ys)


def _tick_texts(svg: str, axis: str = "x") -> list[str]:
    return [e.text for e in _marks(svg, f"{axis}tick") if e.text]


# ---------------------------------------------------------------- marks carry their values


def test_bar_chart_has_one_bar_per_category_and_series_with_proportional_lengths():
    cats = ["a", "b", "c"]
    svg = charts.bar_chart(cats, {"x": [1, 2, 4], "y": [0, 3, 1]}, title="t", x_domain=(0, 4))
    bars = _marks(svg, "bar")
    assert sorted((b.attrs["data-category"], b.attrs["data-series"]) for b in bars) == [
        (c, s) for c in cats for s in ("x", "y")
    ]
    width = {
        (b.attrs["data-category"], b.attrs["data-series"]): _extent(svg, b)[1] - _extent(svg, b)[0]
        for b in bars
    }
    full = width[("c", "x")]
    assert width[("a", "x")] == pytest.approx(full / 4, abs=0.02)
    assert width[("b", "y")] == pytest.approx(full * 3 / 4, abs=0.02)
    assert width[("a", "y")] == 0
    # categories top to bottom in the given order
    tops = {b.attrs["data-category"]: _extent(svg, b)[2] for b in bars if b.attrs["data-series"] == "x"}
    assert tops["a"] < tops["b"] < tops["c"]
    assert _tick_texts(svg, "y") == cats


def test_bar_chart_rejects_a_series_of_the_wrong_length():
    with pytest.raises(ValueError, match="series 'x' has 2 values for 3 categories"):
        charts.bar_chart(["a", "b", "c"], {"x": [1, 2]}, title="t")


def test_a_reference_line_is_drawn_at_its_value():
    svg = charts.bar_chart(["a", "b"], {"psi": [0.1, 0.4]}, title="t", reference=0.2, reference_label="refit")
    (line,) = _marks(svg, "reference")
    assert float(line.attrs["data-x"]) == 0.2
    bars = {b.attrs["data-category"]: _extent(svg, b) for b in _marks(svg, "bar")}
    x0 = bars["a"][0]
    x_ref = _extent(svg, line)[0]
    assert (x_ref - x0) == pytest.approx((bars["b"][1] - x0) / 2, abs=0.02)  # 0.2 is half of 0.4
    assert ">refit</text>" in svg


def test_line_chart_points_and_marker_sit_at_their_values():
    svg = charts.line_chart(
        {"s": [(0, 0), (5, 50), (10, 100)]},
        title="t",
        x_domain=(0, 10),
        y_domain=(0, 100),
        marker_x=5,
        marker_label="chosen",
    )
    points = _marks(svg, "point")
    assert [(float(c.attrs["data-x"]), float(c.attrs["data-y"])) for c in points] == [
        (0, 0),
        (5, 50),
        (10, 100),
    ]
    (x0, _, y0, _), (x1, _, y1, _), (x2, _, y2, _) = (_extent(svg, c) for c in points)
    assert x1 - x0 == pytest.approx(x2 - x1, abs=0.02) and x2 > x0
    assert y0 - y1 == pytest.approx(y1 - y2, abs=0.02) and y0 > y2  # SVG y grows downwards
    (marker,) = _marks(svg, "marker")
    assert float(marker.attrs["data-x"]) == 5
    assert _extent(svg, marker)[0] == pytest.approx(x1, abs=0.02)  # drawn at the point with x = 5
    assert len(_marks(svg, "line")) == 1


def test_line_chart_with_several_series_has_a_legend():
    svg = charts.line_chart({"a": [(0, 0), (1, 1)], "b": [(0, 1), (1, 0)]}, title="t")
    assert len(_marks(svg, "point")) == 4
    assert ">a</text>" in svg and ">b</text>" in svg


def test_heatmap_has_rows_times_cols_cells_coloured_by_value():
    rows, cols = ["r1", "r2", "r3"], ["c1", "c2"]
    values = [[-2.0, 0.0], [1.0, 2.0], [0.5, -1.0]]
    svg = charts.heatmap(rows, cols, values, title="t")
    cells = _marks(svg, "cell")
    assert len(cells) == 6
    by = {(c.attrs["data-row"], c.attrs["data-col"]): c for c in cells}
    assert float(by[("r2", "c2")].attrs["data-value"]) == 2.0

    def fill(cell) -> tuple[int, int, int]:
        p = parse(svg)
        (path,) = [e for e in p.elements if cell in e.ancestors and e.tag == "path"]
        colour = re.search(r"fill: #([0-9a-f]{6})", path.attrs["style"]).group(1)
        return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))

    red, neutral, blue = fill(by[("r2", "c2")]), fill(by[("r1", "c2")]), fill(by[("r1", "c1")])
    assert red[0] > red[2] and blue[2] > blue[0]  # +limit red, -limit blue
    assert min(neutral) > 230  # 0: near white
    with pytest.raises(ValueError, match="3 rows x 2 columns"):
        charts.heatmap(rows, cols, values[:2], title="t")


def test_box_stats_match_numpy_on_known_values():
    s = charts.box_stats([float(v) for v in range(1, 101)] + [float("nan"), None])
    assert s.n == 100
    assert s.mean == pytest.approx(50.5)
    assert s.median == pytest.approx(50.5)
    assert (s.q1, s.q3) == pytest.approx((25.75, 75.25))
    assert (s.p05, s.p95) == pytest.approx((5.95, 95.05))
    assert (s.minimum, s.maximum) == (1, 100)
    with pytest.raises(ValueError, match="at least one finite value"):
        charts.box_stats([None, float("nan")])


def test_box_plot_draws_one_box_per_group_with_its_values():
    rng = np.random.default_rng(0)
    groups = [("a", charts.box_stats(rng.normal(0, 1, 200))), ("b", charts.box_stats(rng.normal(5, 1, 200)))]
    svg = charts.box_plot(groups, title="t", x_domain=(-5, 10))
    boxes = _marks(svg, "box")
    assert [b.attrs["data-group"] for b in boxes] == ["a", "b"]
    assert [int(b.attrs["data-n"]) for b in boxes] == [200, 200]
    assert [float(b.attrs["data-median"]) for b in boxes] == [s.median for _, s in groups]
    # each box spans its quartiles on the axis from -5 to 10
    (a0, a1, _, _), (b0, b1, _, _) = (_extent(svg, b) for b in boxes)
    scale = (b0 - a0) / (groups[1][1].q1 - groups[0][1].q1)
    assert (a1 - a0) == pytest.approx(scale * (groups[0][1].q3 - groups[0][1].q1), abs=0.05)
    assert (b1 - b0) == pytest.approx(scale * (groups[1][1].q3 - groups[1][1].q1), abs=0.05)


def test_text_from_data_is_escaped():
    evil = '<script>alert("x")</script> & co'
    for svg in (
        charts.bar_chart([evil], {evil: [1.0]}, title=evil),
        charts.heatmap([evil], [evil], [[1.0]], title=evil),
        charts.line_chart({evil: [(0, 1), (1, 2)], "b": [(0, 0)]}, title=evil),
        charts.box_plot([(evil, charts.box_stats([1, 2, 3]))], title=evil),
    ):
        assert "<script" not in svg
        assert "&lt;script&gt;" in svg
        assert parse(svg).errors == []


def test_charts_are_self_contained_and_their_ids_unique_in_a_page():
    one = charts.bar_chart(["a"], {"x": [1.0]}, title="t", fig_id="fig-one")
    two = charts.bar_chart(["a"], {"x": [1.0]}, title="t", fig_id="fig-two")
    p = parse(f"<div>{one}{two}</div>")
    assert p.errors == []  # includes: no duplicate id
    for svg, fig_id in ((one, "fig-one"), (two, "fig-two")):
        root = parse(svg).elements[0]
        assert (root.tag, root.attrs["id"], root.attrs["class"], root.attrs["role"]) == (
            "svg",
            fig_id,
            "chart",
            "img",
        )
        ids = {e.attrs["id"] for e in parse(svg).elements if "id" in e.attrs}
        refs = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))
        assert refs and refs <= ids  # every reference resolves inside the chart itself
        assert all(i == fig_id or i.startswith(fig_id + "-") for i in ids)
    assert (
        "<script" not in one
        and "@font-face" not in one
        and "http" not in one.replace("http://www.w3.org/", "")
    )
    assert "<text" in one  # text is text, not glyph outlines


def test_number_formats():
    assert charts.fmt_num(1234567.8) == "1,234,568"
    assert charts.fmt_num(5.0) == "5"
    assert charts.fmt_num(12.345) == "12.3"
    assert charts.fmt_num(0.012345) == "0.0123"
    assert charts.fmt_num(None) == "–" and charts.fmt_num(float("nan")) == "–"
    assert charts.fmt_pct(0.2846) == "28.5%"


# ---------------------------------------------------------------- tick labels


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.2, "20%"),
        (0.025, "2.5%"),
        (0.0025, "0.25%"),
        (0.0, "0%"),
        (1.0, "100%"),
        (0.07, "7%"),
        (0.125, "12.5%"),
    ],
)
def test_percentage_ticks_have_no_needless_decimals(value, expected):
    assert charts.fmt_pct_tick(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (2.5, "2.5"),
        (20.0, "20"),
        (12500.0, "12,500"),
        (0.1 + 0.2, "0.3"),
        (-0.4, "-0.4"),
        (0.05, "0.05"),
    ],
)
def test_number_ticks_have_no_needless_decimals(value, expected):
    assert charts.fmt_tick(value) == expected


# ---------------------------------------------------------------- tick labels


def test_percentage_axes_print_minimal_ticks_while_bar_values_keep_one_decimal():
    svg = charts.bar_chart(
        ["a", "b"], {"s": [0.2846, 0.5]}, title="t", value_format=charts.fmt_pct, x_domain=(0, 1)
    )
    assert _tick_texts(svg) == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert ">28.5%<" in svg and ">50.0%<" in svg  # the values themselves keep their precision
    small = charts.bar_chart(["a"], {"s": [0.0123]}, title="t", value_format=charts.fmt_pct)
    assert all(re.fullmatch(r"\d+(\.\d*[1-9])?%", t) for t in _tick_texts(small)), _tick_texts(small)
    line = charts.line_chart(
        {"s": [(0, 0.1), (1, 0.3)]}, title="t", y_format=charts.fmt_pct, y_domain=(0, 0.4)
    )
    assert _tick_texts(line, "y") == ["0%", "5%", "10%", "15%", "20%", "25%", "30%", "35%", "40%"]


def test_fixed_decimal_values_get_plain_number_ticks():
    svg = charts.bar_chart(["a"], {"s": [0.8]}, title="t", value_format=lambda v: f"{v:.3f}", x_domain=(0, 1))
    assert _tick_texts(svg) == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    assert ">0.800<" in svg


# ---------------------------------------------------------------- long labels


LONG = "12 · Lapsed high-value weekend shoppers of outdoor gear (UK)"  # 60 characters


def test_a_60_character_label_is_cut_on_the_axis_and_kept_whole_in_the_marks():
    assert len(LONG) == 60
    stats = charts.box_stats([1, 2, 3, 4])
    for svg in (
        charts.bar_chart([LONG, "b"], {"x": [1.0, 2.0], "y": [0.5, 1.5]}, title="t"),
        charts.box_plot([(LONG, stats), ("b", stats)], title="t"),
        charts.box_plot([(LONG, stats), ("b", stats)], title="t", scale="log"),
        charts.heatmap([LONG, "b"], ["c1", "c2"], [[1.0, -1.0], [0.0, 0.5]], title="t"),
    ):
        (shown,) = [t for t in _tick_texts(svg, "y") if t.startswith("12 · Lapsed")]
        assert shown.endswith("…") and len(shown) <= charts.plots.MAX_LABEL_CHARS
        assert LONG in svg  # the data-* attributes and tooltips keep the full label
        width = float(parse(svg).elements[0].attrs["viewbox"].split()[2])
        assert width < 700  # the chart keeps its size


def test_a_label_that_fits_is_shown_whole():
    label = "3 · Lapsed big spenders who still open emails"  # 45 characters
    svg = charts.bar_chart([label[:40]], {"x": [1.0]}, title="t")
    assert _tick_texts(svg, "y") == [label[:40]]


# ---------------------------------------------------------------- logarithmic box plot


def test_symlog_domain_and_ticks():
    assert (
        charts.symlog(0) == 0
        and charts.symlog(99) == pytest.approx(2)
        and charts.symlog(-9) == pytest.approx(-1)
    )
    assert charts.log_domain([0.5, 4276.0]) == (0.0, 5000.0)
    assert charts.log_domain([3.0, 80.0]) == (2.0, 100.0)
    assert charts.log_domain([-30.0, 40.0]) == (-50.0, 50.0)
    assert charts.log_domain([0.0, 0.0]) == (0.0, 1.0)
    assert charts.log_ticks(0, 5000) == [0, 1, 10, 100, 1000, 5000]  # 3.7 decades: powers of ten
    assert charts.log_ticks(2, 100) == [2, 5, 10, 20, 50, 100]  # under three decades: 1-2-5 steps
    assert charts.log_ticks(-50, 50) == [-50, -10, -1, 0, 1, 10, 50]  # 3.4 decades in all
    assert charts.log_ticks(-5, 5) == [-5, -2, -1, 0, 1, 2, 5]


def test_log_box_plot_keeps_a_low_value_group_readable_next_to_a_high_value_one():
    rng = np.random.default_rng(1)
    low = charts.box_stats(rng.uniform(5, 15, 500))  # median ~10
    high = charts.box_stats(rng.uniform(5000, 15000, 500))  # median ~10,000
    groups = [("low", low), ("high", high)]
    lin, log = (charts.box_plot(groups, title="t", scale=sc) for sc in ("linear", "log"))
    assert 'data-scale="log"' in log and 'data-scale="log"' not in lin

    def box_widths(svg):
        return [_extent(svg, b)[1] - _extent(svg, b)[0] for b in _marks(svg, "box")]

    assert box_widths(lin)[0] < 1.5  # linear: the low group's IQR is squeezed to a pixel
    assert box_widths(log)[0] > 20  # log: it is a readable box
    # boxes where log10(1 + v) puts them: the IQR widths' ratio is that of their symlog widths
    (lo_w, hi_w) = box_widths(log)
    want = (charts.symlog(low.q3) - charts.symlog(low.q1)) / (charts.symlog(high.q3) - charts.symlog(high.q1))
    assert lo_w / hi_w == pytest.approx(want, rel=0.02)
    lo, hi = charts.log_domain([v for _, s in groups for v in (s.p05, s.p95, s.mean)])
    assert (lo, hi) == (5.0, 20000.0)  # p05 of the low group ~5.5, p95 of the high one ~14,500
    assert _tick_texts(log) == ["5", "10", "100", "1,000", "10,000", "20,000"]
    with pytest.raises(ValueError, match="'linear' or 'log'"):
        charts.box_plot(groups, title="t", scale="sqrt")
