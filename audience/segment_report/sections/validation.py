"""The validation section: segmentation stability, CLV calibration and churn model comparison."""

from __future__ import annotations

from audience import charts
from audience.charts import fmt_num, fmt_pct
from audience.segment_report.markup import Col, figure, fixed3, integer, notes, section, table
from audience.segment_report.model import (
    Validation,
)


def render_validation(va: Validation) -> str:
    body = []
    body.extend(_cluster_validation(va))
    body.extend(_clv_calibration(va))
    body.extend(_churn_models(va))
    body.append(notes(va.notes))
    return section("validation", "".join(body))


def _cluster_validation(va: Validation) -> list[str]:
    """Stability and quality figures of the segmentation against their thresholds."""
    body: list[str] = []
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
    return body


def _clv_calibration(va: Validation) -> list[str]:
    """CLV predicted vs actual holdout purchases per calibration frequency bucket."""
    body: list[str] = []
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
    return body


def _churn_models(va: Validation) -> list[str]:
    """The churn models compared on the validation period."""
    body: list[str] = []
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
    return body
