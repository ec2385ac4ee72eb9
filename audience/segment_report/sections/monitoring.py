"""The monitoring section: drift and refit verdict, model versions and cluster id matches."""

from __future__ import annotations

from audience import charts
from audience.charts import esc, fmt_num, fmt_pct
from audience.segment_report.markup import Col, figure, fixed3, integer, notes, raw, section, table
from audience.segment_report.model import (
    Monitoring,
)


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
    body.extend(_current_version(mo))
    body.extend(_drift(mo))
    body.extend(_versions(mo))
    body.extend(_id_matches(mo))
    body.extend(_top_features(mo))
    body.append(notes(mo.notes))
    return section("monitoring", "".join(body))


def _current_version(mo: Monitoring) -> list[str]:
    """How many versions were fitted and which one scores everybody."""
    body: list[str] = []
    if mo.versions:
        body.append(
            f'<p id="current-model-version" data-value="{esc(mo.current_version or "")}">'
            f"{len(mo.versions)} fitted version{'s' if len(mo.versions) != 1 else ''} of the segmentation; "
            f"everybody is scored with <code>{esc(mo.current_version or '–')}</code>.</p>"
        )
    return body


def _drift(mo: Monitoring) -> list[str]:
    """The refit verdict with the PSI per feature and the centroid distance ratio."""
    body: list[str] = []
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
    return body


def _versions(mo: Monitoring) -> list[str]:
    """Every fitted model version against the previous one."""
    body: list[str] = []
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
    return body


def _id_matches(mo: Monitoring) -> list[str]:
    """How the latest fit's cluster ids were matched to the previous fit's."""
    body: list[str] = []
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
    return body


def _top_features(mo: Monitoring) -> list[str]:
    """The most common top feature of each segment's people."""
    body: list[str] = []
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
    return body
