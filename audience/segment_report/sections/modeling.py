"""The segmentation sections: choice of k, segment sizes and profiles, personas."""

from __future__ import annotations

from audience import charts
from audience.charts import esc, fmt_num, fmt_pct
from audience.segment_report.markup import Col, figure, fixed3, integer, notes, section, table
from audience.segment_report.model import (
    KSelection,
    Personas,
    Segments,
)


def render_k_selection(ks: KSelection) -> str:
    body = []
    if ks.rows:
        chosen = ks.chosen_k
        body.append(
            f'<p id="chosen-k" data-value="{esc(chosen if chosen is not None else "")}">Chosen k = '
            f"<strong>{esc(chosen if chosen is not None else '–')}</strong>"
            + (f" (elbow/knee of the WCSS curve at k = {esc(ks.knee_k)})" if ks.knee_k is not None else "")
            + f"; model <code>{esc(ks.model_version)}</code>.</p>"
        )
        ticks = [(float(r["k"]), str(r["k"])) for r in ks.rows]
        marker = f"chosen k = {chosen}" if chosen is not None else ""
        elbow, sil = (
            charts.line_chart(
                {name: [(r["k"], r[column]) for r in ks.rows]},
                title=title,
                x_label="k (number of segments)",
                y_label=name,
                marker_x=chosen,
                marker_label=marker,
                x_ticks=ticks,
                width=520,
                fig_id=fig_id,
            )
            for column, name, title, fig_id in (
                ("wcss", "WCSS", "Elbow: within-cluster sum of squares", "fig-elbow"),
                ("silhouette", "silhouette", "Silhouette score", "fig-silhouette"),
            )
        )
        body.append('<div class="figs">')
        body.append(
            figure(elbow, "Lower is tighter; the bend (knee) marks diminishing returns of more segments.")
        )
        body.append(figure(sil, "Higher means better separated segments (on the clustering sample)."))
        body.append("</div>")
        body.append(
            table(
                "k-selection-table",
                [
                    Col("k", "k", str, True),
                    Col("wcss", "WCSS", fmt_num, True),
                    Col("silhouette", "silhouette", fixed3, True),
                    Col("calinski_harabasz", "Calinski-Harabasz", fmt_num, True),
                    Col("davies_bouldin", "Davies-Bouldin", fixed3, True),
                    Col("min_cluster_share", "smallest segment", fmt_pct, True),
                    Col("is_knee", "knee"),
                    Col("is_chosen", "chosen"),
                ],
                ks.rows,
                key="k",
            )
        )
    body.append(notes(ks.notes))
    return section("k-selection", "".join(body))


def render_segments(seg: Segments) -> str:
    body = []
    if seg.rows:
        labels = [r.label for r in seg.rows]
        sizes = charts.bar_chart(
            labels,
            {"people": [r.size for r in seg.rows]},
            title="People per segment",
            fig_id="fig-segment-sizes",
        )
        shares = charts.bar_chart(
            labels,
            {
                "share of people": [r.share for r in seg.rows],
                "share of revenue": [r.revenue_share for r in seg.rows],
            },
            title="Share of people vs share of revenue",
            value_format=fmt_pct,
            fig_id="fig-segment-shares",
        )
        body.append('<div class="figs">')
        body.append(figure(sizes, f"{seg.total_people:,} people in segments (customer_clusters)."))
        body.append(figure(shares, "Revenue: total_revenue of customer_profiles for the segment's people."))
        body.append("</div>")
        rows = [
            {
                "cluster_id": r.cluster_id,
                "segment": r.label,
                "size": r.size,
                "share": r.share,
                "revenue": r.revenue,
                "revenue_share": r.revenue_share,
            }
            for r in seg.rows
        ]
        body.append(
            table(
                "segment-sizes-table",
                [
                    Col("cluster_id", "cluster", str, True),
                    Col("segment", "segment"),
                    Col("size", "people", integer, True),
                    Col("share", "share of people", fmt_pct, True),
                    Col("revenue", "revenue", lambda v: f"{v:,.0f}", True),
                    Col("revenue_share", "share of revenue", fmt_pct, True),
                ],
                rows,
                key="cluster_id",
            )
        )
    body.append(notes(seg.notes))
    return section("segment-sizes", "".join(body))


def render_personas(per: Personas) -> str:
    body = []
    if per.labels and per.features:
        svg = charts.heatmap(
            per.labels,
            per.features,
            per.z,
            annotations=[[fmt_num(v) for v in row] for row in per.means],
            title="Feature means by segment (colour: difference from everybody, in standard deviations)",
            fig_id="fig-persona-heatmap",
        )
        body.append(
            figure(
                svg,
                "Cells show the segment mean of each clustering feature; red is above the population mean, "
                "blue below (z score of the segment mean, segment_personas).",
            )
        )
    if per.details:
        body.append(
            table(
                "personas-table",
                [
                    Col("cluster_id", "cluster", str, True),
                    Col("persona_name", "persona"),
                    Col("description", "description"),
                    Col("top_categories", "top categories"),
                ],
                per.details,
                key="cluster_id",
            )
        )
    body.append(notes(per.notes))
    return section("personas", "".join(body))
