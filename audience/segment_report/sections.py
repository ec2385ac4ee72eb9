"""One function per report section: its dataclass into an HTML ``<section>`` with charts and tables."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from audience import charts
from audience.charts import esc, fmt_num, fmt_pct
from audience.segment_report.markup import Col, figure, fixed3, integer, notes, plain, raw, section, table
from audience.segment_report.model import (
    DataQuality,
    KSelection,
    Monitoring,
    Personas,
    ReportData,
    Scores,
    Segments,
    Transitions,
    Validation,
)
from audience.segment_report.warehouse import not_available


def render_overview(d: ReportData) -> str:
    ov = d.overview
    kpis = []
    for key, label, fmt in (
        ("people", "people in customer_profiles", integer),
        ("buyers", "people with an order", integer),
        ("clustered_people", "people in a K-Means segment", integer),
        ("revenue", "total revenue", lambda v: f"{float(v):,.0f}"),
        ("as_of_date", "as-of date", plain),
    ):
        if ov.get(key) is not None:
            kpis.append(
                f'<div class="kpi" id="kpi-{key}"><b>{esc(fmt(ov[key]))}</b><span>{esc(label)}</span></div>'
            )
    body = [f'<div class="kpis">{"".join(kpis)}</div>'] if kpis else []
    if not kpis:
        body.append(notes([not_available("The overview is", "customer_profiles is missing or empty")]))
    if ov.get("model_versions"):
        items = "".join(f"<li>{esc(k)}: <code>{esc(v)}</code></li>" for k, v in ov["model_versions"])
        body.append(f"<h3>Model versions</h3><ul>{items}</ul>")
    if ov.get("membership"):
        body.append("<h3>Segment membership by type</h3>")
        body.append(
            table(
                "membership-table",
                [
                    Col("segment_type", "segment type"),
                    Col("segments", "segments", integer, True),
                    Col("memberships", "memberships", integer, True),
                    Col("people", "people", integer, True),
                ],
                ov["membership"],
                key="segment_type",
            )
        )
    return section("overview", "".join(body))


def render_data_quality(dq: DataQuality) -> str:
    body = [
        "<p>Every raw row is accounted for: raw rows + rejected lines = clean rows + quarantined rows + "
        "duplicate rows removed (dq_reconciliation).</p>"
    ]
    if dq.reconciliation:
        body.append(
            table(
                "dq-reconciliation",
                [
                    Col("source", "source"),
                    Col("raw_rows", "raw rows", integer, True),
                    Col("rejected_lines", "rejected lines", integer, True),
                    Col("clean_rows", "clean rows", integer, True),
                    Col("quarantined_rows", "quarantined", integer, True),
                    Col("duplicate_rows_removed", "duplicates removed", integer, True),
                    Col("conflicting_keys", "conflicting keys", integer, True),
                    Col("unaccounted_rows", "unaccounted", integer, True),
                    Col("is_reconciled", "reconciled"),
                ],
                dq.reconciliation,
                key="source",
            )
        )
        sources = [r["source"] for r in dq.reconciliation if r["raw_rows"] or r["rejected_lines"]]
        if sources:
            by = {r["source"]: r for r in dq.reconciliation}
            svg = charts.bar_chart(
                sources,
                {
                    "quarantined": [by[s]["quarantined_rows"] / max(by[s]["raw_rows"], 1) for s in sources],
                    "duplicates": [
                        by[s]["duplicate_rows_removed"] / max(by[s]["raw_rows"], 1) for s in sources
                    ],
                },
                title="Rows set aside, as a share of raw rows",
                value_format=fmt_pct,
                fig_id="fig-dq-shares",
            )
            body.append(
                figure(svg, "Quarantined and duplicate rows per source, relative to the rows landed.")
            )
    if dq.top_reasons:
        body.append("<h3>Top quarantine reasons</h3><div class='figs'>")
        labels = [f"{r['source']} · {r['reason_code']}" for r in dq.top_reasons]
        svg = charts.bar_chart(
            labels,
            {"rows": [r["quarantined_rows"] for r in dq.top_reasons]},
            title="Quarantined rows by source and reason",
            fig_id="fig-dq-reasons",
        )
        body.append(figure(svg, "The most frequent reasons rows were quarantined (dq_quarantine)."))
        body.append(
            table(
                "dq-top-reasons",
                [
                    Col("source", "source"),
                    Col("reason_code", "reason"),
                    Col("quarantined_rows", "rows", integer, True),
                ],
                dq.top_reasons,
            )
        )
        body.append("</div>")
    elif dq.reconciliation and not any(r["quarantined_rows"] for r in dq.reconciliation):
        body.append("<p>No row was quarantined.</p>")
    if dq.file_status:
        body.append("<h3>Raw files</h3>")
        body.append(
            table(
                "dq-file-status",
                [
                    Col("file_status", "status"),
                    Col("files", "files", integer, True),
                    Col("rows_loaded", "rows loaded", integer, True),
                    Col("rows_rejected", "rows rejected", integer, True),
                ],
                dq.file_status,
                key="file_status",
            )
        )
        if dq.problem_files:
            body.append("<p>Files that brought nothing usable or had rejected lines:</p>")
            body.append(
                table(
                    "dq-problem-files",
                    [
                        Col("source", "source"),
                        Col("file_path", "file"),
                        Col("file_size", "bytes", integer, True),
                        Col("rows_loaded", "rows loaded", integer, True),
                        Col("rows_rejected", "rows rejected", integer, True),
                        Col("file_status", "status"),
                    ],
                    dq.problem_files,
                )
            )
        else:
            body.append("<p>Every landed raw file loaded without rejected lines.</p>")
    if dq.left_out or dq.inactive_rules:
        body.append(
            "<h3>Not used: no information in this data</h3><p>Profile columns whose source has no rows, "
            "that are more than 95% null, or where one value holds 99% of the people are left out "
            "(dq_feature_coverage); rules that use them are inactive and match nobody.</p>"
        )
    if dq.left_out:
        body.append(
            table(
                "dq-left-out",
                [Col("column_name", "column"), Col("source", "source"), Col("reason", "why")],
                dq.left_out,
                key="column_name",
            )
        )
    if dq.inactive_rules:
        body.append(
            table(
                "dq-inactive-rules",
                [Col("segment_name", "rule"), Col("inactive_reason", "why inactive")],
                dq.inactive_rules,
                key="segment_name",
            )
        )
    body.append(notes(dq.notes))
    return section("data-quality", "".join(body))


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
        elbow = charts.line_chart(
            {"WCSS": [(r["k"], r["wcss"]) for r in ks.rows]},
            title="Elbow: within-cluster sum of squares",
            x_label="k (number of segments)",
            y_label="WCSS",
            marker_x=chosen,
            marker_label=marker,
            x_ticks=ticks,
            frame=charts.Frame(width=520),
            fig_id="fig-elbow",
        )
        sil = charts.line_chart(
            {"silhouette": [(r["k"], r["silhouette"]) for r in ks.rows]},
            title="Silhouette score",
            x_label="k (number of segments)",
            y_label="silhouette",
            marker_x=chosen,
            marker_label=marker,
            x_ticks=ticks,
            frame=charts.Frame(width=520),
            fig_id="fig-silhouette",
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


def render_validation(va: Validation) -> str:
    body = []
    if va.cluster:
        body.append("<h3>Segmentation: stability and quality</h3>")
        jac = [r for r in va.cluster if r["metric"] == "bootstrap_jaccard" and r["value"] is not None]
        glob = [r for r in va.cluster if r["cluster_id"] is None and r["value"] is not None]
        figs = []
        if glob:
            svg = charts.bar_chart(
                [r["metric"] for r in glob],
                {"value": [r["value"] for r in glob], "threshold": [r["threshold"] for r in glob]},
                title="Overall figures vs their thresholds",
                value_format=fixed3,
                fig_id="fig-cluster-validation",
            )
            figs.append(figure(svg, "Seed stability, holdout and Ward agreement (ARI) and silhouette."))
        if jac:
            thr = jac[0]["threshold"]
            svg = charts.bar_chart(
                [r["segment"] for r in jac],
                {"bootstrap Jaccard": [r["value"] for r in jac]},
                title="Bootstrap stability per segment",
                value_format=fixed3,
                x_domain=(0.0, 1.0),
                reference=thr,
                reference_label=f"threshold {fmt_num(thr)}" if thr is not None else "",
                fig_id="fig-cluster-jaccard",
            )
            figs.append(
                figure(svg, "Mean Jaccard similarity of each segment with its best match on resamples.")
            )
        if figs:
            body.append(f'<div class="figs">{"".join(figs)}</div>')
        body.append(
            table(
                "cluster-validation-table",
                [
                    Col("metric", "metric"),
                    Col("segment", "segment"),
                    Col("value", "value", fmt_num, True),
                    Col("threshold", "threshold", fmt_num, True),
                    Col("status", "status"),
                ],
                va.cluster,
            )
        )
    if va.clv_calibration:
        body.append("<h3>CLV: holdout calibration</h3>")
        buckets = [r for r in va.clv_calibration if r["frequency_bucket"] != "total"]
        svg = charts.bar_chart(
            [f"{r['frequency_bucket']} repeat purchases" for r in buckets],
            {
                "predicted": [r["predicted_purchases"] for r in buckets],
                "actual": [r["actual_purchases"] for r in buckets],
            },
            title="Holdout purchase days per person: predicted vs actual",
            x_label="mean purchase days per person in the holdout period",
            fig_id="fig-clv-calibration",
        )
        body.append(
            figure(svg, "Customers grouped by their repeat purchases in the calibration period (BG/NBD fit).")
        )
        body.append(
            table(
                "clv-calibration-table",
                [
                    Col("frequency_bucket", "calibration repeat purchases"),
                    Col("n_customers", "customers", integer, True),
                    Col("predicted_purchases", "predicted", fmt_num, True),
                    Col("actual_purchases", "actual", fmt_num, True),
                    Col("error", "error", fmt_num, True),
                    Col("abs_pct_error", "abs. % error", fmt_pct, True),
                ],
                va.clv_calibration,
                key="frequency_bucket",
            )
        )
    if va.churn_models:
        body.append("<h3>Churn: model comparison</h3>")
        labels = [f"{r['model']}{' (selected)' if r['is_selected'] else ''}" for r in va.churn_models]
        svg = charts.bar_chart(
            labels,
            {
                "ROC AUC": [r["auc"] for r in va.churn_models],
                "PR AUC": [r["pr_auc"] for r in va.churn_models],
            },
            title="Churn models on the validation period",
            value_format=fixed3,
            x_domain=(0.0, 1.0),
            reference=0.5,
            reference_label="chance (ROC)",
            fig_id="fig-churn-models",
        )
        body.append(
            figure(svg, "The selected model is used for customer_scores; the recency baseline is a floor.")
        )
        body.append(
            table(
                "churn-models-table",
                [
                    Col("model", "model"),
                    Col("auc", "ROC AUC", fixed3, True),
                    Col("pr_auc", "PR AUC", fixed3, True),
                    Col("brier_score", "Brier", fixed3, True),
                    Col("top_decile_lift", "top-decile lift", lambda v: f"{v:.2f}", True),
                    Col("base_rate", "churn base rate", fmt_pct, True),
                    Col("n_train", "train rows", integer, True),
                    Col("n_valid", "validation rows", integer, True),
                    Col("is_selected", "selected"),
                ],
                va.churn_models,
                key="model",
            )
        )
    body.append(notes(va.notes))
    return section("validation", "".join(body))


def _verdict(mo: Monitoring) -> str:
    """The refit verdict: which cluster_drift figures are above their thresholds (or that none is)."""
    due = "due" if mo.refit_due else "not due"
    over = [r for r in mo.psi if r["is_refit_due"]]
    if mo.refit_due:
        why = []
        if over:
            items = [f"{r['feature']} ({fixed3(r['value'])} > {fmt_num(r['threshold'])})" for r in over]
            why.append("PSI above its threshold for " + ", ".join(items))
        d = mo.distance
        if d is not None and d["is_refit_due"]:
            why.append(f"distance ratio {d['value']:.2f} > {fmt_num(d['threshold'])}")
        reason = "; ".join(why)
    else:
        thr = {fmt_num(r["threshold"]) for r in mo.psi}
        reason = f"every feature's PSI is at most {', '.join(sorted(thr))}" if mo.psi else "no PSI figures"
        d = mo.distance
        if d is not None and d["value"] is not None:
            reason += f" and the distance ratio {d['value']:.2f} is at most {fmt_num(d['threshold'])}"
    cls = "status-warn" if mo.refit_due else "status-ok"
    version = (mo.distance or (mo.psi[0] if mo.psi else {})).get("model_version")
    return (
        f'<p id="refit-verdict" data-value="{due}">Refit <strong class="{cls}">{due}</strong> for model '
        f"<code>{esc(version or '–')}</code>: {esc(reason)} (cluster_drift).</p>"
    )


def render_monitoring(mo: Monitoring) -> str:
    body = []
    if mo.versions:
        body.append(
            f'<p id="current-model-version" data-value="{esc(mo.current_version or "")}">'
            f"{len(mo.versions)} fitted version{'s' if len(mo.versions) != 1 else ''} of the segmentation; "
            f"everybody is scored with <code>{esc(mo.current_version or '–')}</code>.</p>"
        )
    if mo.refit_due is not None:
        body.append("<h3>Drift: is a refit due?</h3>")
        body.append(_verdict(mo))
        if mo.psi:
            thr = mo.psi[0]["threshold"]
            svg = charts.bar_chart(
                [str(r["feature"]) for r in mo.psi],
                {"PSI": [r["value"] for r in mo.psi]},
                title="Population stability index per feature",
                x_label="PSI (today vs the fit-time deciles)",
                value_format=fixed3,
                reference=thr,
                reference_label=f"refit above {fmt_num(thr)}" if thr is not None else "",
                width=560,
                fig_id="fig-drift-psi",
            )
            body.append(
                figure(
                    svg,
                    "Today's eligible people in the deciles of each feature at fit time: 0 is no change; "
                    "a bar past the dashed line calls for a refit.",
                )
            )
        d = mo.distance
        if d is not None:
            ratio = fixed3(d["value"]) if d["value"] is not None else "–"
            body.append(
                f'<p id="distance-ratio" data-value="{esc(raw(d["value"]))}">Mean squared distance to the '
                f"assigned centroid: {esc(fmt_num(d['current_value']))} today vs "
                f"{esc(fmt_num(d['fit_value']))} at fit time, ratio <strong>{esc(ratio)}</strong> "
                f"(refit above {esc(fmt_num(d['threshold']))}).</p>"
            )
        rows = mo.psi + ([d] if d is not None else [])
        for r in rows:
            r["figure"] = r["feature"] if r["metric"] == "psi" else "distance ratio"
        body.append(
            table(
                "drift-table",
                [
                    Col("metric", "metric"),
                    Col("figure", "feature"),
                    Col("fit_value", "at fit time", fmt_num, True),
                    Col("current_value", "today", fmt_num, True),
                    Col("value", "value", fixed3, True),
                    Col("threshold", "threshold", fmt_num, True),
                    Col("is_refit_due", "refit due"),
                ],
                rows,
            )
        )
    if mo.versions:
        body.append("<h3>Model versions</h3>")
        body.append(
            table(
                "model-versions-table",
                [
                    Col("fit_sequence", "fit", str, True),
                    Col("model_version", "version"),
                    Col("current", "current"),
                    Col("k", "k", str, True),
                    Col("previous_model_version", "previous version"),
                    Col("ari_vs_previous", "ARI vs previous", fixed3, True),
                    Col("share_changed_vs_previous", "share whose id changed", fmt_pct, True),
                    Col("n_matched_clusters", "matched", integer, True),
                    Col("n_new_clusters", "new", integer, True),
                    Col("n_vanished_clusters", "vanished", integer, True),
                ],
                mo.versions,
                key="model_version",
            )
        )
    if mo.matches:
        body.append(f"<h3>Cluster ids of the latest fit <code>{esc(mo.latest_version)}</code></h3>")
        counts = {s: sum(r["match_status"] == s for r in mo.matches) for s in ("matched", "new", "vanished")}
        previous = next((r["previous_model_version"] for r in mo.matches if r["previous_model_version"]), "")
        if not previous:
            body.append(f"<p>The first fit: all {counts['new']} ids are new.</p>")
        else:
            body.append(
                f"<p>Against <code>{esc(previous)}</code>: {counts['matched']} matched (kept their id and "
                f"persona), {counts['new']} new, {counts['vanished']} vanished.</p>"
            )
        body.append(
            table(
                "id-matches-table",
                [
                    Col("cluster_id", "cluster", str, True),
                    Col("segment", "segment"),
                    Col("match_status", "status"),
                    Col("fit_cluster_id", "number in the fit", str, True),
                    Col("centroid_distance", "centroid distance", fixed3, True),
                    Col("member_jaccard", "member Jaccard", fixed3, True),
                    Col("previous_model_version", "matched against"),
                ],
                mo.matches,
                key="cluster_id",
            )
        )
    if mo.top_features:
        body.append("<h3>What sets each segment's people apart most often</h3>")
        body.append(
            table(
                "top-features-table",
                [
                    Col("cluster_id", "cluster", str, True),
                    Col("segment", "segment"),
                    Col("top_feature_1", "most common top feature"),
                    Col("people", "people", integer, True),
                    Col("share", "share of the segment", fmt_pct, True),
                ],
                mo.top_features,
                key="cluster_id",
            )
        )
    body.append(notes(mo.notes))
    return section("monitoring", "".join(body))


def _run_label(t: dt.datetime, runs: Sequence[dt.datetime]) -> str:
    same_day = len({r.date() for r in runs}) == 1
    return f"{t:%H:%M:%S}" if same_day else f"{t:%Y-%m-%d %H:%M}"


def render_transitions(tr: Transitions) -> str:
    body = []
    if tr.total_runs >= 2 and tr.members:
        n = len(tr.run_times)
        step = max(1, math.ceil(n / 8))
        ticks = [(float(i), _run_label(t, tr.run_times)) for i, t in enumerate(tr.run_times) if i % step == 0]
        if tr.total_runs > n:
            body.append(f"<p>The last {n} of {tr.total_runs} snapshot runs.</p>")
        body.append('<div class="figs">')
        for seg_type, series in tr.members.items():
            svg = charts.line_chart(
                {name: [(float(i), float(v)) for i, v in enumerate(vals)] for name, vals in series.items()},
                title=f"Members per {seg_type} segment at each snapshot run",
                x_label="snapshot run",
                y_label="members",
                x_domain=(0.0, float(max(n - 1, 1))),
                x_ticks=ticks,
                include_zero=True,
                frame=charts.Frame(width=620, right=56),
                fig_id=f"fig-transitions-{seg_type}",
            )
            body.append(figure(svg, f"From segment_membership_snapshot ({seg_type} segments)."))
        body.append("</div>")
        if tr.changes:
            body.append("<h3>Entries and exits after the initial load</h3>")
            body.append(
                table(
                    "transitions-table",
                    [
                        Col("transition_date", "date", plain),
                        Col("segment_type", "type"),
                        Col("segment_name", "segment"),
                        Col("entered", "entered", integer, True),
                        Col("exited", "exited", integer, True),
                    ],
                    tr.changes,
                )
            )
        else:
            body.append("<p>No entries or exits since the initial load.</p>")
    body.append(notes(tr.notes))
    return section("transitions", "".join(body))
