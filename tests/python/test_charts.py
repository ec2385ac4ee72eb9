"""Unit tests of the SVG chart functions (audience.charts): marks at the expected coordinates."""

from __future__ import annotations

import numpy as np
import pytest

from audience import charts
from tests.python.html_check import parse

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
