"""Read-only queries: the warehouse marts into the section dataclasses of :mod:`.model`."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

import duckdb

from audience.charts import box_stats
from audience.segment_report.model import (
    MAX_RUNS,
    DataQuality,
    KSelection,
    Monitoring,
    Personas,
    ReportData,
    Scores,
    Segments,
    SegmentSize,
    Transitions,
    Validation,
)
from audience.segment_report.warehouse import Warehouse, not_available, segment_label, segment_labels


def _load_overview(wh: Warehouse) -> dict[str, Any]:
    ov: dict[str, Any] = {}
    if wh.missing("customer_profiles") is None:
        r = wh.rows(
            "select count(*) as people, sum(total_revenue) as revenue, max(as_of_date) as as_of_date, "
            "sum(case when order_count > 0 then 1 else 0 end) as buyers from main.customer_profiles"
        )[0]
        ov.update(r)
    if wh.missing("customer_clusters") is None:
        ov["clustered_people"] = wh.count("customer_clusters")
    versions = []
    for table, kind in (
        ("customer_clusters", "segmentation"),
        ("clv_holdout_calibration", "CLV"),
        ("churn_model_comparison", "churn"),
    ):
        if wh.missing(table) is None and "model_version" in wh.columns[table]:
            v = wh.con.execute(f"select min(model_version) from main.{table}").fetchone()[0]
            versions.append((kind, v))
    ov["model_versions"] = versions
    if wh.missing("segment_membership") is None:
        ov["membership"] = wh.rows(
            "select segment_type, count(distinct segment_name) as segments, count(*) as memberships, "
            "count(distinct person_id) as people from main.segment_membership group by segment_type "
            "order by segment_type"
        )
    return ov


def _load_data_quality(wh: Warehouse) -> DataQuality:
    dq = DataQuality()
    if wh.available(dq.notes, "The reconciliation is", "dq_reconciliation"):
        dq.reconciliation = wh.rows(
            "select source, raw_rows, rejected_lines, clean_rows, quarantined_rows, duplicate_rows_removed, "
            "conflicting_keys, unaccounted_rows, is_reconciled from main.dq_reconciliation order by source"
        )
        absent = [r["source"] for r in dq.reconciliation if r["raw_rows"] == 0 and r["rejected_lines"] == 0]
        if absent:
            dq.notes.append(
                not_available(
                    "Figures from " + ", ".join(absent) + " are",
                    "no raw rows were landed for these sources in this build",
                )
            )
    if wh.available(dq.notes, "Quarantine reasons are", "dq_quarantine"):
        dq.top_reasons = wh.rows(
            "select source, reason_code, count(*) as quarantined_rows from main.dq_quarantine "
            "group by source, reason_code order by quarantined_rows desc, source, reason_code limit 15"
        )
    if wh.available(dq.notes, "The raw file ledger is", "dq_raw_files"):
        dq.file_status = wh.rows(
            "select file_status, count(*) as files, sum(rows_loaded) as rows_loaded, "
            "sum(rows_rejected) as rows_rejected from main.dq_raw_files "
            "group by file_status order by file_status"
        )
        dq.problem_files = wh.rows(
            "select source, file_path, file_size, rows_loaded, rows_rejected, file_status "
            "from main.dq_raw_files where file_status <> 'ok' order by source, file_path limit 50"
        )
    if not wh.missing("dq_feature_coverage"):
        dq.left_out = wh.rows(
            "select column_name, source, reason from main.dq_feature_coverage "
            "where not is_informative order by column_position"
        )
    if not wh.missing("rule_segment_members_status"):
        dq.inactive_rules = wh.rows(
            "select segment_name, inactive_reason from main.rule_segment_members_status "
            "where not is_active order by rule_order"
        )
    return dq


def _fit_status_notes(wh: Warehouse) -> list[str]:
    """The current clustering version's status when it is not a plain fit, and the features left out."""
    notes = []
    if wh.missing("cluster_model_history") is None and "fit_status" in wh.columns["cluster_model_history"]:
        for r in wh.rows("select fit_status, status_reason from main.cluster_model_history where is_current"):
            if r["fit_status"] != "fitted":
                notes.append(f"Clustering: {r['status_reason']}")
    if wh.missing("cluster_feature_selection") is None:
        left_out = wh.rows("select feature, detail from main.cluster_feature_selection where not is_used")
        notes.extend(f"Feature {r['feature']} left out of the clustering: {r['detail']}." for r in left_out)
    return notes


def _load_k_selection(wh: Warehouse) -> KSelection:
    ks = KSelection()
    ks.notes.extend(_fit_status_notes(wh))
    if not wh.available(ks.notes, "The elbow and silhouette curves are", "cluster_k_selection"):
        return ks
    ks.rows = wh.rows(
        "select k, wcss, silhouette, calinski_harabasz, davies_bouldin, min_cluster_share, is_knee, "
        "is_chosen, model_version from main.cluster_k_selection order by k"
    )
    chosen = [r for r in ks.rows if r["is_chosen"]]
    knee = [r for r in ks.rows if r["is_knee"]]
    ks.chosen_k = int(chosen[0]["k"]) if chosen else None
    ks.knee_k = int(knee[0]["k"]) if knee else None
    ks.model_version = chosen[0]["model_version"] if chosen else ks.rows[0]["model_version"]
    if ks.chosen_k is None:
        ks.notes.append("No k is flagged as chosen in cluster_k_selection.")
    return ks


def _load_segments(wh: Warehouse, labels: dict[int, str]) -> Segments:
    seg = Segments()
    if not wh.available(seg.notes, "Segment sizes are", "customer_clusters"):
        return seg
    has_profiles = wh.missing("customer_profiles") is None
    revenue = "coalesce(p.total_revenue, 0)" if has_profiles else "0"
    join = "left join main.customer_profiles as p on p.person_id = c.person_id" if has_profiles else ""
    rows = wh.rows(
        f"select c.cluster_id, count(*) as size, sum({revenue}) as revenue "
        f"from main.customer_clusters as c {join} group by c.cluster_id order by c.cluster_id"
    )
    seg.total_people = sum(int(r["size"]) for r in rows)
    seg.total_revenue = float(sum(float(r["revenue"] or 0) for r in rows))
    for r in rows:
        rev = float(r["revenue"] or 0)
        seg.rows.append(
            SegmentSize(
                cluster_id=int(r["cluster_id"]),
                label=segment_label(labels, r["cluster_id"]),
                size=int(r["size"]),
                share=int(r["size"]) / seg.total_people,
                revenue=rev,
                revenue_share=rev / seg.total_revenue if seg.total_revenue else float("nan"),
            )
        )
    if not has_profiles:
        seg.notes.append(not_available("Revenue share is", "customer_profiles is missing"))
    return seg


def _load_personas(wh: Warehouse, labels: dict[int, str]) -> Personas:
    per = Personas()
    if not wh.available(per.notes, "The persona heatmap is", "segment_personas"):
        return per
    cols = wh.columns["segment_personas"]
    per.features = [
        c[len("mean_") :] for c in cols if c.startswith("mean_") and f"z_{c[len('mean_') :]}" in cols
    ]
    if not per.features:
        per.notes.append(
            not_available("The persona heatmap is", "segment_personas has no mean_/z_ feature columns")
        )
    rows = wh.rows("select * from main.segment_personas order by cluster_id")
    for r in rows:
        per.labels.append(segment_label(labels, r["cluster_id"]))
        per.z.append([_float(r[f"z_{f}"]) for f in per.features])
        per.means.append([_float(r[f"mean_{f}"]) for f in per.features])
        per.details.append(
            {
                "cluster_id": r["cluster_id"],
                "persona_name": r.get("persona_name"),
                "description": r.get("description"),
                "top_categories": r.get("top_categories"),
            }
        )
    for j, f in enumerate(per.features):
        col = [row[j] for row in per.z]
        if all(v == 0 or math.isnan(v) for v in col) and len({row[j] for row in per.means}) <= 1:
            per.constant_features.append(f)
    if per.constant_features:
        per.notes.append(
            not_available(
                "Segment differences in " + ", ".join(per.constant_features) + " are",
                "these features are constant across all segments (usually the source behind them has "
                "no data in this build)",
            )
        )
    return per


def _float(v: Any) -> float:
    try:
        return float(v) if v is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def _load_scores(wh: Warehouse, labels: dict[int, str]) -> Scores:
    sc = Scores()
    if not wh.available(sc.notes, "CLV and churn distributions are", "customer_scores", "customer_clusters"):
        return sc
    cur = wh.con.execute(
        "select c.cluster_id, s.clv, s.churn_probability from main.customer_scores as s "
        "join main.customer_clusters as c on c.person_id = s.person_id order by c.cluster_id"
    )
    by_cluster: dict[int, tuple[list[float], list[float]]] = {}
    for cid, clv, churn in cur.fetchall():
        clvs, churns = by_cluster.setdefault(int(cid), ([], []))
        if clv is not None:
            clvs.append(float(clv))
        if churn is not None:
            churns.append(float(churn))
    if not by_cluster:
        sc.notes.append(not_available("CLV and churn distributions are", "no scored person is in a segment"))
    for cid, (clvs, churns) in sorted(by_cluster.items()):
        label = segment_label(labels, cid)
        row: dict[str, Any] = {
            "cluster_id": cid,
            "segment": label,
            "scored_people": max(len(clvs), len(churns)),
        }
        if clvs:
            s = box_stats(clvs)
            sc.clv.append((label, s))
            row |= {"clv_mean": s.mean, "clv_median": s.median, "clv_total": float(sum(clvs))}
        if churns:
            s = box_stats(churns)
            sc.churn.append((label, s))
            row |= {"churn_mean": s.mean, "churn_median": s.median}
        sc.rows.append(row)
    if by_cluster and not sc.clv:
        sc.notes.append(not_available("The CLV distribution is", "every CLV is null"))
    if by_cluster and not sc.churn:
        sc.notes.append(not_available("The churn distribution is", "every churn probability is null"))
    return sc


def _bucket_order(bucket: Any) -> tuple[int, float, str]:
    b = str(bucket)
    if b == "total":
        return (2, 0.0, b)
    try:
        return (0, float(b.rstrip("+")), b)
    except ValueError:
        return (1, 0.0, b)


def _load_validation(wh: Warehouse, labels: dict[int, str]) -> Validation:
    va = Validation()
    if wh.available(va.notes, "Segmentation validation is", "cluster_validation"):
        va.cluster = wh.rows(
            "select metric, cluster_id, value, threshold, status from main.cluster_validation "
            "order by metric, cluster_id nulls first"
        )
        for r in va.cluster:
            r["segment"] = segment_label(labels, r["cluster_id"]) if r["cluster_id"] is not None else ""
    if wh.available(va.notes, "The CLV holdout calibration is", "clv_holdout_calibration"):
        rows = wh.rows(
            "select frequency_bucket, n_customers, predicted_purchases, actual_purchases, error, "
            "abs_pct_error from main.clv_holdout_calibration"
        )
        va.clv_calibration = sorted(rows, key=lambda r: _bucket_order(r["frequency_bucket"]))
    if wh.available(va.notes, "The churn model comparison is", "churn_model_comparison"):
        va.churn_models = wh.rows(
            "select model, auc, pr_auc, brier_score, top_decile_lift, base_rate, n_train, n_valid, "
            "is_selected from main.churn_model_comparison order by is_selected desc, auc desc, model"
        )
    return va


def _load_monitoring(wh: Warehouse, labels: dict[int, str]) -> Monitoring:
    mo = Monitoring()
    if wh.available(mo.notes, "The history of model versions is", "cluster_model_history"):
        mo.versions = wh.rows(
            "select fit_sequence, model_version, k, previous_model_version, ari_vs_previous, "
            "share_changed_vs_previous, n_matched_clusters, n_new_clusters, n_vanished_clusters, is_current "
            "from main.cluster_model_history order by fit_sequence, model_version"
        )
        for r in mo.versions:
            r["current"] = "current" if r["is_current"] else ""
        current = [r["model_version"] for r in mo.versions if r["is_current"]]
        mo.current_version = current[0] if current else None
        mo.latest_version = mo.versions[-1]["model_version"]
        if mo.current_version is None:
            mo.notes.append("No version is flagged as current in cluster_model_history.")
    reason = wh.missing("cluster_id_matches")
    if reason:
        mo.notes.append(not_available("The cluster id matches are", reason))
    elif mo.latest_version is not None:
        mo.matches = wh.rows(
            "select cluster_id, match_status, fit_cluster_id, centroid_distance, member_jaccard, "
            "previous_model_version from main.cluster_id_matches "
            "where model_version = ? order by cluster_id",
            [mo.latest_version],
        )
        for r in mo.matches:
            # persona names belong to the current model's ids; a vanished id has none
            r["segment"] = (
                segment_label(labels, r["cluster_id"])
                if r["match_status"] != "vanished" and mo.latest_version == mo.current_version
                else f"Segment {r['cluster_id']}"
            )
        if not mo.matches:
            mo.notes.append(
                not_available(
                    "The cluster id matches are",
                    f"cluster_id_matches has no rows for the latest version {mo.latest_version}",
                )
            )
    if wh.available(mo.notes, "Drift figures and the refit verdict are", "cluster_drift"):
        drift = wh.rows(
            "select model_version, metric, feature, fit_value, current_value, value, threshold, is_refit_due "
            "from main.cluster_drift order by metric, feature"
        )
        mo.psi = [r for r in drift if r["metric"] == "psi"]
        ratio = [r for r in drift if r["metric"] == "mean_squared_distance_ratio"]
        mo.distance = ratio[0] if ratio else None
        mo.refit_due = any(bool(r["is_refit_due"]) for r in drift)
    reason = wh.missing("customer_clusters")
    if reason:
        mo.notes.append(not_available("The standout features per segment are", reason))
    elif "top_feature_1" not in wh.columns["customer_clusters"]:
        mo.notes.append(
            not_available("The standout features per segment are", "customer_clusters has no top_feature_1")
        )
    else:
        rows = wh.rows(
            "with counted as (select cluster_id, top_feature_1, count(*) as people, "
            "sum(count(*)) over (partition by cluster_id) as members from main.customer_clusters "
            "where top_feature_1 is not null group by cluster_id, top_feature_1), "
            "ranked as (select *, row_number() over (partition by cluster_id "
            "order by people desc, top_feature_1) as rn from counted) "
            "select cluster_id, top_feature_1, people, members, people / members as share "
            "from ranked where rn = 1 order by cluster_id"
        )
        for r in rows:
            r["segment"] = segment_label(labels, r["cluster_id"])
        mo.top_features = rows
    return mo


def _load_transitions(wh: Warehouse) -> Transitions:
    tr = Transitions()
    if not wh.available(tr.notes, "Segment transitions are", "segment_membership_snapshot"):
        return tr
    run_rows = wh.con.execute(
        "select run_at from (select dbt_valid_from as run_at from main.segment_membership_snapshot "
        "union select dbt_valid_to from main.segment_membership_snapshot where dbt_valid_to is not null) "
        "order by run_at"
    ).fetchall()
    all_runs = [r[0] for r in run_rows]
    tr.total_runs = len(all_runs)
    if tr.total_runs < 2:
        when = f" (at {all_runs[0]:%Y-%m-%d %H:%M:%S})" if all_runs else ""
        tr.notes.append(
            not_available(
                "Segment transitions over time are",
                f"the membership snapshot has only one run so far{when}: every membership is the initial "
                "load. Transitions appear after the next build (e.g. `audience append-day` and "
                "`dbt build --selector realtime`)",
            )
        )
    tr.run_times = all_runs[-MAX_RUNS:]
    if tr.run_times:
        first = tr.run_times[0]
        counts = wh.con.execute(
            "with runs as (select distinct run_at from (select dbt_valid_from as run_at "
            "from main.segment_membership_snapshot union select dbt_valid_to "
            "from main.segment_membership_snapshot where dbt_valid_to is not null) where run_at >= ?) "
            "select runs.run_at, s.segment_type, s.segment_name, count(*) as members "
            "from runs join main.segment_membership_snapshot as s "
            "on s.dbt_valid_from <= runs.run_at and (s.dbt_valid_to is null or s.dbt_valid_to > runs.run_at) "
            "group by runs.run_at, s.segment_type, s.segment_name",
            [first],
        ).fetchall()
        index = {t: i for i, t in enumerate(tr.run_times)}
        for run_at, seg_type, seg_name, n in counts:
            series = tr.members.setdefault(seg_type, {}).setdefault(seg_name, [0] * len(tr.run_times))
            series[index[run_at]] = int(n)
        tr.members = {t: dict(sorted(v.items())) for t, v in sorted(tr.members.items())}
    if tr.total_runs >= 2 and wh.missing("segment_transitions") is None:
        tr.changes = wh.rows(
            "select transition_date, segment_type, segment_name, "
            "sum(case when transition = 'entered' then 1 else 0 end) as entered, "
            "sum(case when transition = 'exited' then 1 else 0 end) as exited "
            "from main.segment_transitions where not is_initial_load "
            "group by transition_date, segment_type, segment_name "
            "order by transition_date desc, segment_type, segment_name limit 200"
        )
    return tr


def load_report_data(db_path: str | os.PathLike[str]) -> ReportData:
    """Read every section's figures from the DuckDB file at `db_path` (opened read-only)."""
    path = Path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `make build` (or `dbt build`) first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        wh = Warehouse(con)
        labels = segment_labels(wh)
        return ReportData(
            db_path=str(path),
            generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            overview=_load_overview(wh),
            data_quality=_load_data_quality(wh),
            k_selection=_load_k_selection(wh),
            segments=_load_segments(wh, labels),
            personas=_load_personas(wh, labels),
            scores=_load_scores(wh, labels),
            validation=_load_validation(wh, labels),
            monitoring=_load_monitoring(wh, labels),
            transitions=_load_transitions(wh),
        )
    finally:
        con.close()
