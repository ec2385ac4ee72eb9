"""Unit tests of the SVG chart functions (audience.charts): marks at the expected coordinates."""

from __future__ import annotations

import re

import numpy as np
import pytest

from audience import charts
from tests.python.html_check import parse, shown_text, texts_outside

FRAME = charts.Frame(width=200, height=100, left=10, right=10, top=10, bottom=10)  # plot 180 x 80


def _marks(svg: str, tag: str, cls: str):
    p = parse(svg)
    assert p.errors == []
    return [e for e in p.elements if e.tag == tag and cls in e.attrs.get("class", "").split()]


def test_linear_scale_maps_the_domain_onto_the_pixels():
    s = charts.linear_scale((0, 10), (100, 0))
    assert s(0) == 100 and s(10) == 0 and s(2.5) == pytest.approx(75)
    assert charts.linear_scale((3, 3), (0, 50))(3) == 25  # zero-width domain: the middle


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (3, 97, [0, 20, 40, 60, 80, 100]),
        (5017.7, 15064.5, [5000, 7500, 10000, 12500, 15000, 17500]),
        (-0.3, 0.38, [-0.4, -0.2, 0, 0.2, 0.4]),
    ],
)
def test_nice_ticks_are_round_evenly_spaced_and_cover_the_range(lo, hi, expected):
    ticks = charts.nice_ticks(lo, hi)
    assert ticks == pytest.approx(expected)
    assert ticks[0] <= lo and ticks[-1] >= hi


def test_line_chart_puts_points_at_the_expected_coordinates():
    svg = charts.line_chart(
        {"s": [(0, 0), (5, 50), (10, 100)]},
        title="t",
        x_domain=(0, 10),
        y_domain=(0, 100),
        marker_x=5,
        frame=FRAME,
    )
    points = _marks(svg, "circle", "point")
    got = [(float(c.attrs["cx"]), float(c.attrs["cy"])) for c in points]
    # x: 10 + x/10 * 180; y: 10 + (1 - y/100) * 80
    assert got == [(10, 90), (100, 50), (190, 10)]
    assert [(float(c.attrs["data-x"]), float(c.attrs["data-y"])) for c in points] == [
        (0, 0),
        (5, 50),
        (10, 100),
    ]
    (marker,) = _marks(svg, "line", "marker")
    assert float(marker.attrs["x1"]) == 100 and float(marker.attrs["data-x"]) == 5
    (line,) = _marks(svg, "polyline", "line")
    assert line.attrs["points"] == "10.00,90.00 100.00,50.00 190.00,10.00"


def test_line_chart_with_several_series_has_a_legend_and_keeps_the_plot_size():
    svg = charts.line_chart(
        {"a": [(0, 0), (1, 1)], "b": [(0, 1), (1, 0)]},
        title="t",
        x_domain=(0, 1),
        y_domain=(0, 1),
        frame=FRAME,
    )
    p = parse(svg)
    assert any(e.attrs.get("class") == "legend" for e in p.elements)
    pts = _marks(svg, "circle", "point")
    assert len(pts) == 4
    ys = sorted({float(c.attrs["cy"]) for c in pts})
    assert ys[1] - ys[0] == pytest.approx(FRAME.plot_h)  # the legend moved the plot down, not squashed it


def test_bar_chart_has_one_bar_per_category_and_series_with_proportional_lengths():
    cats = ["a", "b", "c"]
    svg = charts.bar_chart(cats, {"x": [1, 2, 4], "y": [0, 3, 1]}, title="t", x_domain=(0, 4))
    bars = _marks(svg, "rect", "bar")
    assert len(bars) == 6
    assert [(b.attrs["data-category"], b.attrs["data-series"]) for b in bars] == [
        ("a", "x"),
        ("a", "y"),
        ("b", "x"),
        ("b", "y"),
        ("c", "x"),
        ("c", "y"),
    ]
    widths = {(b.attrs["data-category"], b.attrs["data-series"]): float(b.attrs["width"]) for b in bars}
    full = widths[("c", "x")]
    assert widths[("a", "x")] == pytest.approx(full / 4, abs=0.01)
    assert widths[("b", "y")] == pytest.approx(full * 3 / 4, abs=0.01)
    assert widths[("a", "y")] == 0


def test_bar_chart_rejects_a_series_of_the_wrong_length():
    with pytest.raises(ValueError, match="series 'x' has 2 values for 3 categories"):
        charts.bar_chart(["a", "b", "c"], {"x": [1, 2]}, title="t")


def test_heatmap_has_rows_times_cols_cells_coloured_by_value():
    rows, cols = ["r1", "r2", "r3"], ["c1", "c2"]
    values = [[-2.0, 0.0], [1.0, 2.0], [0.5, -1.0]]
    svg = charts.heatmap(rows, cols, values, title="t")
    cells = _marks(svg, "rect", "cell")
    assert len(cells) == 6
    by = {(c.attrs["data-row"], c.attrs["data-col"]): c for c in cells}
    assert float(by[("r2", "c2")].attrs["data-value"]) == 2.0
    assert by[("r1", "c2")].attrs["fill"] == "#f7f7f7"  # 0: neutral
    assert by[("r2", "c2")].attrs["fill"] == charts.diverging_colour(2, 2) == "#ca5228"  # +limit: red end
    assert by[("r1", "c1")].attrs["fill"] == "#2166ac"  # -limit: blue end
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


def test_box_plot_draws_one_box_per_group_with_its_median_at_the_right_place():
    rng = np.random.default_rng(0)
    groups = [("a", charts.box_stats(rng.normal(0, 1, 200))), ("b", charts.box_stats(rng.normal(5, 1, 200)))]
    svg = charts.box_plot(groups, title="t", x_domain=(-5, 10))
    boxes = _marks(svg, "g", "box")
    assert [b.attrs["data-group"] for b in boxes] == ["a", "b"]
    medians = _marks(svg, "line", "median")
    left, width = 60, 640 - 60 - 24  # label margin for one-letter labels (minimum 60), right 24
    for line, (_, s) in zip(medians, groups, strict=True):
        assert float(line.attrs["x1"]) == pytest.approx(left + (s.median + 5) / 15 * width, abs=0.01)


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


def _tick_texts(svg: str) -> list[str]:
    return [e.text for e in _marks(svg, "text", "tick")]


def test_percentage_axes_print_minimal_ticks_while_bar_values_keep_one_decimal():
    svg = charts.bar_chart(
        ["a", "b"], {"s": [0.2846, 0.5]}, title="t", value_format=charts.fmt_pct, x_domain=(0, 1)
    )
    assert _tick_texts(svg) == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert ">28.5%<" in svg and ">50.0%<" in svg  # the values themselves keep their precision
    small = charts.bar_chart(["a"], {"s": [0.0123]}, title="t", value_format=charts.fmt_pct)
    assert _tick_texts(small) == ["0%", "0.25%", "0.5%", "0.75%", "1%", "1.25%"]  # step 0.0025
    assert not any(re.search(r"\.0+%$", t) for t in _tick_texts(small))
    line = charts.line_chart(
        {"s": [(0, 0.1), (1, 0.3)]}, title="t", y_format=charts.fmt_pct, y_domain=(0, 0.4)
    )
    ys = [e.text for e in parse(line).elements if e.tag == "text" and e.attrs.get("text-anchor") == "end"]
    assert ys == ["0%", "10%", "20%", "30%", "40%"]


def test_fixed_decimal_values_get_plain_number_ticks():
    svg = charts.bar_chart(["a"], {"s": [0.8]}, title="t", value_format=lambda v: f"{v:.3f}", x_domain=(0, 1))
    assert _tick_texts(svg) == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    assert ">0.800<" in svg


# ---------------------------------------------------------------- long labels stay inside the chart


def test_text_width_uses_per_glyph_metrics():
    # Helvetica / Arial advance widths: W = 944, i = 222 thousandths of an em, plus the safety margin
    assert charts.text_width("Wi", font_size=10) == pytest.approx(
        (944 + 222) / 1000 * 10 * charts.WIDTH_SAFETY
    )
    assert charts.text_width("W" * 10) > 4 * charts.text_width("i" * 10)
    assert charts.text_width("é") == pytest.approx(charts.FONT_SIZE * charts.WIDTH_SAFETY)  # unknown: 1 em
    assert charts.fit_text("short", 100) == "short"
    cut = charts.fit_text("x" * 100, 60)
    assert cut.endswith("…") and charts.text_width(cut) <= 60 < charts.text_width(cut[:-1] + "x…")


LONG = "12 · Lapsed high-value weekend shoppers of outdoor gear (UK)"  # 60 characters


def _assert_text_inside(svg: str) -> list:
    assert parse(svg).errors == []
    assert texts_outside(svg) == []
    p = parse(svg)
    return [(e, shown_text(p, e), p) for e in p.elements if e.tag == "text" and "x" in e.attrs]


def test_a_60_character_label_stays_inside_every_chart_and_keeps_its_full_text_in_a_tooltip():
    assert len(LONG) == 60
    stats = charts.box_stats([1, 2, 3, 4])
    for svg in (
        charts.bar_chart([LONG, "b"], {"x": [1.0, 2.0], "y": [0.5, 1.5]}, title="t"),
        charts.box_plot([(LONG, stats), ("b", stats)], title="t"),
        charts.box_plot([(LONG, stats), ("b", stats)], title="t", scale="log"),
        charts.heatmap([LONG, "b"], ["c1", "c2"], [[1.0, -1.0], [0.0, 0.5]], title="t"),
    ):
        texts = _assert_text_inside(svg)
        (cut,) = [(e, shown, p) for e, shown, p in texts if shown.startswith("12 · Lapsed")]
        e, shown, p = cut
        assert shown.endswith("…") and len(shown) < 60
        tips = [t.text for t in p.elements if t.tag == "title" and t.ancestors and t.ancestors[-1] is e]
        assert tips == [LONG]
        assert LONG in svg  # the data-* attributes and tooltips keep the full label


def test_a_label_that_fits_is_shown_whole_and_sets_the_margin():
    label = "3 · Lapsed big spenders who still open emails"  # 45 characters: overflowed the old margin
    svg = charts.bar_chart([label], {"x": [1.0]}, title="t")
    texts = _assert_text_inside(svg)
    assert label in [shown for _, shown, _ in texts]
    (bar,) = _marks(svg, "rect", "bar")
    assert float(bar.attrs["x"]) >= charts.text_width(label)  # the plot starts right of the label
    narrow, wide = (
        float(_marks(charts.bar_chart([c * 30], {"x": [1.0]}, title="t"), "rect", "bar")[0].attrs["x"])
        for c in ("i", "W")
    )
    assert narrow < wide  # the margin follows the glyphs, not the character count


def test_a_long_title_moves_left_or_is_cut_but_stays_inside():
    _assert_text_inside(
        charts.bar_chart(["a"], {"x": [1.0]}, title="A fairly long chart title " * 2, width=300)
    )
    svg = charts.bar_chart(["a"], {"x": [1.0]}, title="An overlong chart title " * 6, width=300)
    _assert_text_inside(svg)
    assert "…</text>" in svg


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
        return [
            float(e.attrs["width"])
            for e in parse(svg).elements
            if e.tag == "rect" and "fill-opacity" in e.attrs
        ]

    assert box_widths(lin)[0] < 1.5  # linear: the low group's IQR is squeezed to a pixel
    assert box_widths(log)[0] > 20  # log: it is a readable box
    # medians where log10(1 + v) puts them on [symlog(lo), symlog(hi)] = [log10(6), log10(20001)]
    left, width = 60, 640 - 60 - 24
    lo, hi = charts.log_domain([v for _, s in groups for v in (s.p05, s.p95, s.mean)])
    assert (lo, hi) == (5.0, 20000.0)  # p05 of the low group ~5.5, p95 of the high one ~14,500
    for line, (_, s) in zip(_marks(log, "line", "median"), groups, strict=True):
        want = (
            left
            + (charts.symlog(s.median) - charts.symlog(lo)) / (charts.symlog(hi) - charts.symlog(lo)) * width
        )
        assert float(line.attrs["x1"]) == pytest.approx(want, abs=0.01)
    ticks = _tick_texts(log)
    assert ticks == ["5", "10", "100", "1,000", "10,000", "20,000"]
    _assert_text_inside(log)  # tick labels that would collide are left out, none run off the chart
    with pytest.raises(ValueError, match="'linear' or 'log'"):
        charts.box_plot(groups, title="t", scale="sqrt")


def test_a_reference_label_at_the_right_end_of_the_axis_stays_inside_the_chart():
    # the threshold is the largest value, so its line sits at the right end of the plot
    for reference, label in ((0.2, "refit above 0.2"), (0.05, "threshold 0.05")):
        svg = charts.bar_chart(
            ["a", "b"], {"psi": [0.01, 0.02]}, title="t", reference=reference, reference_label=label
        )
        texts = _assert_text_inside(svg)
        (line,) = _marks(svg, "line", "reference")
        ((el, _, _),) = [(e, t, p) for e, t, p in texts if t == label]
        assert el.attrs["text-anchor"] == "end"
        assert float(el.attrs["x"]) == pytest.approx(float(line.attrs["x1"]) - 3.0)
    # a line well inside the plot keeps its label to the right of it
    svg = charts.bar_chart(["a"], {"psi": [1.0]}, title="t", reference=0.2, reference_label="refit above 0.2")
    ((el, _, _),) = [(e, t, p) for e, t, p in _assert_text_inside(svg) if t == "refit above 0.2"]
    assert "text-anchor" not in el.attrs
