"""The scores section: CLV and churn scores of the people."""

from __future__ import annotations

from audience import charts
from audience.charts import fmt_num, fmt_pct
from audience.segment_report.markup import Col, figure, integer, notes, section, table
from audience.segment_report.model import (
    Scores,
)


def render_scores(sc: Scores) -> str:
    body = []
    figs = []
    if sc.clv:
        # CLV is heavy-tailed (a high-value segment's spread is 10-100 x another's): on a linear axis it
        # squeezes the other boxes into a few pixels, so the axis is log10(1 + CLV), labelled in CLV.
        svg = charts.box_plot(
            sc.clv,
            title="Predicted CLV per person",
            x_label="CLV (logarithmic axis)",
            scale="log",
            fig_id="fig-clv-box",
        )
        figs.append(
            figure(
                svg,
                "Box: quartiles; line: median; whiskers: 5th to 95th percentile; diamond: mean. The axis is "
                "logarithmic (equal steps from 1 to 10 to 100 ...; 0 kept), so segments far apart in value "
                "all stay readable.",
            )
        )
    if sc.churn:
        svg = charts.box_plot(
            sc.churn,
            title="Churn probability per person",
            x_label="churn probability",
            value_format=fmt_pct,
            x_domain=(0.0, 1.0),
            fig_id="fig-churn-box",
        )
        figs.append(
            figure(svg, "Box: quartiles; line: median; whiskers: 5th to 95th percentile; diamond: mean.")
        )
    if figs:
        body.append(f'<div class="figs">{"".join(figs)}</div>')
    if sc.rows:
        body.append(
            table(
                "scores-table",
                [
                    Col("cluster_id", "cluster", str, True),
                    Col("segment", "segment"),
                    Col("scored_people", "people scored", integer, True),
                    Col("clv_mean", "mean CLV", fmt_num, True),
                    Col("clv_median", "median CLV", fmt_num, True),
                    Col("clv_total", "total CLV", lambda v: f"{v:,.0f}", True),
                    Col("churn_mean", "mean churn probability", fmt_pct, True),
                    Col("churn_median", "median churn probability", fmt_pct, True),
                ],
                sc.rows,
                key="cluster_id",
            )
        )
    body.append(notes(sc.notes))
    return section("scores", "".join(body))
