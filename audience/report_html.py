"""`audience report`: a self-contained HTML report of the segments, read from the warehouse file.

Two steps, both pure and testable:

* :func:`load_report_data` opens the DuckDB file read-only and turns the marts into plain
  dataclasses (one per section). A section whose tables are missing or empty carries a
  ``notes`` entry saying why it is not available instead of data.
* :func:`render_report` turns that into one HTML document: inline CSS, inline SVG charts from
  :mod:`audience.charts`, no scripts and no external resources, so it opens offline.

Every value from the data is escaped. Tables carry ``id`` attributes and each cell a
``data-col`` / ``data-value`` pair with the unformatted value, so tests (and anybody scraping
the report) can compare the printed figures with the warehouse.

The queries use DuckDB SQL (this reads the DuckDB warehouse file and nothing else).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from audience import charts
from audience.charts import BoxStats, box_stats, esc, fmt_num, fmt_pct

DEFAULT_OUT = "reports/audience_report.html"

# (id, heading) of every section, in the order the report shows them. Tests rely on the ids.
SECTIONS = (
    ("overview", "Overview"),
    ("data-quality", "Data quality"),
    ("k-selection", "Choosing the number of segments (k)"),
    ("segment-sizes", "Segment sizes and revenue share"),
    ("personas", "Persona heatmap"),
    ("scores", "CLV and churn by segment"),
    ("validation", "Model validation"),
    ("transitions", "Segment transitions over time"),
)

MAX_RUNS = 60  # snapshot runs shown in the transitions chart (the most recent ones)


# --------------------------------------------------------------------------- data


@dataclass
class DataQuality:
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    top_reasons: list[dict[str, Any]] = field(default_factory=list)
    file_status: list[dict[str, Any]] = field(default_factory=list)
    problem_files: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class KSelection:
    rows: list[dict[str, Any]] = field(default_factory=list)
    chosen_k: int | None = None
    knee_k: int | None = None
    model_version: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class SegmentSize:
    cluster_id: int
    label: str
    size: int
    share: float
    revenue: float
    revenue_share: float


@dataclass
class Segments:
    rows: list[SegmentSize] = field(default_factory=list)
    total_people: int = 0
    total_revenue: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class Personas:
    labels: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    z: list[list[float]] = field(default_factory=list)
    means: list[list[float]] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    constant_features: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Scores:
    clv: list[tuple[str, BoxStats]] = field(default_factory=list)
    churn: list[tuple[str, BoxStats]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Validation:
    cluster: list[dict[str, Any]] = field(default_factory=list)
    clv_calibration: list[dict[str, Any]] = field(default_factory=list)
    churn_models: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Transitions:
    run_times: list[dt.datetime] = field(default_factory=list)
    # segment_type -> segment_name -> members at each run in run_times
    members: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    total_runs: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    db_path: str
    generated_at: dt.datetime
    overview: dict[str, Any]
    data_quality: DataQuality
    k_selection: KSelection
    segments: Segments
    personas: Personas
    scores: Scores
    validation: Validation
    transitions: Transitions


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _table_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'main' order by table_name, ordinal_position"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for t, c in rows:
        out.setdefault(t, []).append(c)
    return out


class _Warehouse:
    """A read-only connection plus the tables it has, with 'not available because' messages."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.columns = _table_columns(con)
        self._counts: dict[str, int] = {}

    def count(self, table: str) -> int:
        if table not in self._counts:
            self._counts[table] = self.con.execute(f'select count(*) from main."{table}"').fetchone()[0]
        return self._counts[table]

    def missing(self, *tables: str) -> str | None:
        """None when every table exists and has rows, else the reason for a note."""
        absent = [t for t in tables if t not in self.columns]
        if absent:
            return (
                f"the table{'s' if len(absent) > 1 else ''} {', '.join(absent)} "
                f"{'are' if len(absent) > 1 else 'is'} not in this warehouse (has `dbt build` run?)"
            )
        empty = [t for t in tables if self.count(t) == 0]
        if empty:
            return f"{', '.join(empty)} {'are' if len(empty) > 1 else 'is'} empty in this build"
        return None

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return _rows(self.con, sql)


def _not_available(what: str, reason: str) -> str:
    return f"{what} not available because {reason}."


def _segment_labels(wh: _Warehouse) -> dict[int, str]:
    """cluster_id -> "id · persona name" (or "Segment id" without personas)."""
    labels: dict[int, str] = {}
    if wh.missing("segment_personas") is None:
        for r in wh.rows("select cluster_id, persona_name from main.segment_personas order by cluster_id"):
            labels[int(r["cluster_id"])] = f"{r['cluster_id']} · {r['persona_name']}"
    return labels


def _label(labels: dict[int, str], cluster_id: int) -> str:
    return labels.get(int(cluster_id), f"Segment {cluster_id}")


def _load_overview(wh: _Warehouse) -> dict[str, Any]:
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


def _load_data_quality(wh: _Warehouse) -> DataQuality:
    dq = DataQuality()
    reason = wh.missing("dq_reconciliation")
    if reason:
        dq.notes.append(_not_available("The reconciliation is", reason))
    else:
        dq.reconciliation = wh.rows(
            "select source, raw_rows, rejected_lines, clean_rows, quarantined_rows, duplicate_rows_removed, "
            "conflicting_keys, unaccounted_rows, is_reconciled from main.dq_reconciliation order by source"
        )
        absent = [r["source"] for r in dq.reconciliation if r["raw_rows"] == 0 and r["rejected_lines"] == 0]
        if absent:
            dq.notes.append(
                _not_available(
                    "Figures from " + ", ".join(absent) + " are",
                    "no raw rows were landed for these sources in this build",
                )
            )
    reason = wh.missing("dq_quarantine")
    if reason:
        dq.notes.append(_not_available("Quarantine reasons are", reason))
    else:
        dq.top_reasons = wh.rows(
            "select source, reason_code, count(*) as quarantined_rows from main.dq_quarantine "
            "group by source, reason_code order by quarantined_rows desc, source, reason_code limit 15"
        )
    reason = wh.missing("dq_raw_files")
    if reason:
        dq.notes.append(_not_available("The raw file ledger is", reason))
    else:
        dq.file_status = wh.rows(
            "select file_status, count(*) as files, sum(rows_loaded) as rows_loaded, "
            "sum(rows_rejected) as rows_rejected from main.dq_raw_files "
            "group by file_status order by file_status"
        )
        dq.problem_files = wh.rows(
            "select source, file_path, file_size, rows_loaded, rows_rejected, file_status "
            "from main.dq_raw_files where file_status <> 'ok' order by source, file_path limit 50"
        )
    return dq


def _load_k_selection(wh: _Warehouse) -> KSelection:
    ks = KSelection()
    reason = wh.missing("cluster_k_selection")
    if reason:
        ks.notes.append(_not_available("The elbow and silhouette curves are", reason))
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


def _load_segments(wh: _Warehouse, labels: dict[int, str]) -> Segments:
    seg = Segments()
    reason = wh.missing("customer_clusters")
    if reason:
        seg.notes.append(_not_available("Segment sizes are", reason))
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
                label=_label(labels, r["cluster_id"]),
                size=int(r["size"]),
                share=int(r["size"]) / seg.total_people,
                revenue=rev,
                revenue_share=rev / seg.total_revenue if seg.total_revenue else float("nan"),
            )
        )
    if not has_profiles:
        seg.notes.append(_not_available("Revenue share is", "customer_profiles is missing"))
    return seg


def _load_personas(wh: _Warehouse, labels: dict[int, str]) -> Personas:
    per = Personas()
    reason = wh.missing("segment_personas")
    if reason:
        per.notes.append(_not_available("The persona heatmap is", reason))
        return per
    cols = wh.columns["segment_personas"]
    per.features = [
        c[len("mean_") :] for c in cols if c.startswith("mean_") and f"z_{c[len('mean_') :]}" in cols
    ]
    if not per.features:
        per.notes.append(
            _not_available("The persona heatmap is", "segment_personas has no mean_/z_ feature columns")
        )
    rows = wh.rows("select * from main.segment_personas order by cluster_id")
    for r in rows:
        per.labels.append(_label(labels, r["cluster_id"]))
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
            _not_available(
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


def _load_scores(wh: _Warehouse, labels: dict[int, str]) -> Scores:
    sc = Scores()
    reason = wh.missing("customer_scores", "customer_clusters")
    if reason:
        sc.notes.append(_not_available("CLV and churn distributions are", reason))
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
        sc.notes.append(_not_available("CLV and churn distributions are", "no scored person is in a segment"))
    for cid, (clvs, churns) in sorted(by_cluster.items()):
        label = _label(labels, cid)
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
        sc.notes.append(_not_available("The CLV distribution is", "every CLV is null"))
    if by_cluster and not sc.churn:
        sc.notes.append(_not_available("The churn distribution is", "every churn probability is null"))
    return sc


def _bucket_order(bucket: Any) -> tuple[int, float, str]:
    b = str(bucket)
    if b == "total":
        return (2, 0.0, b)
    try:
        return (0, float(b.rstrip("+")), b)
    except ValueError:
        return (1, 0.0, b)


def _load_validation(wh: _Warehouse, labels: dict[int, str]) -> Validation:
    va = Validation()
    reason = wh.missing("cluster_validation")
    if reason:
        va.notes.append(_not_available("Segmentation validation is", reason))
    else:
        va.cluster = wh.rows(
            "select metric, cluster_id, value, threshold, status from main.cluster_validation "
            "order by metric, cluster_id nulls first"
        )
        for r in va.cluster:
            r["segment"] = _label(labels, r["cluster_id"]) if r["cluster_id"] is not None else ""
    reason = wh.missing("clv_holdout_calibration")
    if reason:
        va.notes.append(_not_available("The CLV holdout calibration is", reason))
    else:
        rows = wh.rows(
            "select frequency_bucket, n_customers, predicted_purchases, actual_purchases, error, "
            "abs_pct_error from main.clv_holdout_calibration"
        )
        va.clv_calibration = sorted(rows, key=lambda r: _bucket_order(r["frequency_bucket"]))
    reason = wh.missing("churn_model_comparison")
    if reason:
        va.notes.append(_not_available("The churn model comparison is", reason))
    else:
        va.churn_models = wh.rows(
            "select model, auc, pr_auc, brier_score, top_decile_lift, base_rate, n_train, n_valid, "
            "is_selected from main.churn_model_comparison order by is_selected desc, auc desc, model"
        )
    return va


def _load_transitions(wh: _Warehouse) -> Transitions:
    tr = Transitions()
    reason = wh.missing("segment_membership_snapshot")
    if reason:
        tr.notes.append(_not_available("Segment transitions are", reason))
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
            _not_available(
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
        wh = _Warehouse(con)
        labels = _segment_labels(wh)
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
            transitions=_load_transitions(wh),
        )
    finally:
        con.close()


# --------------------------------------------------------------------------- rendering

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; margin: 0;
  color: #222; background: #fafafa; line-height: 1.45; }
header { background: #0b3d5c; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 24px; }
header p { margin: 0; opacity: .85; font-size: 13px; }
nav { padding: 8px 32px; background: #eef3f7; font-size: 13px; position: sticky; top: 0; }
nav a { margin-right: 14px; color: #0b3d5c; text-decoration: none; }
main { padding: 8px 32px 40px; max-width: 1280px; }
section { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 4px 20px 16px;
  margin: 18px 0; }
h2 { font-size: 19px; border-bottom: 1px solid #eee; padding-bottom: 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.figs { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 0; }
svg.chart { max-width: 100%; height: auto; background: #fff; }
figcaption { font-size: 12px; color: #555; max-width: 640px; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid #e6e6e6; padding: 3px 9px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #fff7e0; border-left: 4px solid #e6a700; padding: 6px 10px; margin: 8px 0;
  font-size: 13px; }
.status-ok { color: #1a7f37; font-weight: 600; }
.status-warn, .status-fail, .status-false { color: #b42318; font-weight: 600; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.kpi { background: #f3f7fa; border-radius: 6px; padding: 8px 14px; min-width: 130px; }
.kpi b { display: block; font-size: 20px; }
.kpi span { font-size: 12px; color: #555; }
"""


@dataclass(frozen=True)
class Col:
    """A table column: key in the row dicts, header text, formatter, numeric alignment."""

    key: str
    header: str
    fmt: Callable[[Any], str] = str
    numeric: bool = False


def _plain(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and math.isnan(v):
        return "–"
    if isinstance(v, dt.datetime):
        return f"{v:%Y-%m-%d %H:%M:%S}"
    if isinstance(v, dt.date):
        return f"{v:%Y-%m-%d}"
    return str(v)


def _raw(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return repr(v)
    return _plain(v)


def table(
    table_id: str, columns: Sequence[Col], rows: Sequence[dict[str, Any]], key: str | None = None
) -> str:
    """An HTML table; each cell has data-col (the key) and data-value (the unformatted value)."""
    out = [f'<table id="{esc(table_id)}"><thead><tr>']
    out += [f"<th>{esc(c.header)}</th>" for c in columns]
    out.append("</tr></thead><tbody>")
    for r in rows:
        row_key = f' data-key="{esc(_raw(r.get(key)))}"' if key else ""
        out.append(f"<tr{row_key}>")
        for c in columns:
            v = r.get(c.key)
            text = c.fmt(v) if v is not None else "–"
            cls = ' class="num"' if c.numeric else ""
            if c.key in ("status", "is_reconciled"):
                cls = f' class="status-{esc(str(v).lower())}"'
            out.append(f'<td{cls} data-col="{esc(c.key)}" data-value="{esc(_raw(v))}">{esc(text)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _fixed3(v: Any) -> str:
    return f"{float(v):.3f}"


def _int(v: Any) -> str:
    return f"{int(v):,}"


def _notes(notes: Sequence[str]) -> str:
    return "".join(f'<p class="note">{esc(n)}</p>' for n in notes)


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


def _section(sec_id: str, body: str) -> str:
    title = dict(SECTIONS)[sec_id]
    return f'<section id="{sec_id}"><h2>{esc(title)}</h2>{body}</section>'


def _render_overview(d: ReportData) -> str:
    ov = d.overview
    kpis = []
    for key, label, fmt in (
        ("people", "people in customer_profiles", _int),
        ("buyers", "people with an order", _int),
        ("clustered_people", "people in a K-Means segment", _int),
        ("revenue", "total revenue", lambda v: f"{float(v):,.0f}"),
        ("as_of_date", "as-of date", _plain),
    ):
        if ov.get(key) is not None:
            kpis.append(
                f'<div class="kpi" id="kpi-{key}"><b>{esc(fmt(ov[key]))}</b><span>{esc(label)}</span></div>'
            )
    body = [f'<div class="kpis">{"".join(kpis)}</div>'] if kpis else []
    if not kpis:
        body.append(_notes([_not_available("The overview is", "customer_profiles is missing or empty")]))
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
                    Col("segments", "segments", _int, True),
                    Col("memberships", "memberships", _int, True),
                    Col("people", "people", _int, True),
                ],
                ov["membership"],
                key="segment_type",
            )
        )
    return _section("overview", "".join(body))


def _render_data_quality(dq: DataQuality) -> str:
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
                    Col("raw_rows", "raw rows", _int, True),
                    Col("rejected_lines", "rejected lines", _int, True),
                    Col("clean_rows", "clean rows", _int, True),
                    Col("quarantined_rows", "quarantined", _int, True),
                    Col("duplicate_rows_removed", "duplicates removed", _int, True),
                    Col("conflicting_keys", "conflicting keys", _int, True),
                    Col("unaccounted_rows", "unaccounted", _int, True),
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
                _figure(svg, "Quarantined and duplicate rows per source, relative to the rows landed.")
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
        body.append(_figure(svg, "The most frequent reasons rows were quarantined (dq_quarantine)."))
        body.append(
            table(
                "dq-top-reasons",
                [
                    Col("source", "source"),
                    Col("reason_code", "reason"),
                    Col("quarantined_rows", "rows", _int, True),
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
                    Col("files", "files", _int, True),
                    Col("rows_loaded", "rows loaded", _int, True),
                    Col("rows_rejected", "rows rejected", _int, True),
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
                        Col("file_size", "bytes", _int, True),
                        Col("rows_loaded", "rows loaded", _int, True),
                        Col("rows_rejected", "rows rejected", _int, True),
                        Col("file_status", "status"),
                    ],
                    dq.problem_files,
                )
            )
        else:
            body.append("<p>Every landed raw file loaded without rejected lines.</p>")
    body.append(_notes(dq.notes))
    return _section("data-quality", "".join(body))


def _render_k_selection(ks: KSelection) -> str:
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
            _figure(elbow, "Lower is tighter; the bend (knee) marks diminishing returns of more segments.")
        )
        body.append(_figure(sil, "Higher means better separated segments (on the clustering sample)."))
        body.append("</div>")
        body.append(
            table(
                "k-selection-table",
                [
                    Col("k", "k", str, True),
                    Col("wcss", "WCSS", fmt_num, True),
                    Col("silhouette", "silhouette", _fixed3, True),
                    Col("calinski_harabasz", "Calinski-Harabasz", fmt_num, True),
                    Col("davies_bouldin", "Davies-Bouldin", _fixed3, True),
                    Col("min_cluster_share", "smallest segment", fmt_pct, True),
                    Col("is_knee", "knee"),
                    Col("is_chosen", "chosen"),
                ],
                ks.rows,
                key="k",
            )
        )
    body.append(_notes(ks.notes))
    return _section("k-selection", "".join(body))


def _render_segments(seg: Segments) -> str:
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
        body.append(_figure(sizes, f"{seg.total_people:,} people in segments (customer_clusters)."))
        body.append(_figure(shares, "Revenue: total_revenue of customer_profiles for the segment's people."))
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
                    Col("size", "people", _int, True),
                    Col("share", "share of people", fmt_pct, True),
                    Col("revenue", "revenue", lambda v: f"{v:,.0f}", True),
                    Col("revenue_share", "share of revenue", fmt_pct, True),
                ],
                rows,
                key="cluster_id",
            )
        )
    body.append(_notes(seg.notes))
    return _section("segment-sizes", "".join(body))


def _render_personas(per: Personas) -> str:
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
            _figure(
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
    body.append(_notes(per.notes))
    return _section("personas", "".join(body))


def _render_scores(sc: Scores) -> str:
    body = []
    figs = []
    if sc.clv:
        svg = charts.box_plot(sc.clv, title="Predicted CLV per person", x_label="CLV", fig_id="fig-clv-box")
        figs.append(
            _figure(svg, "Box: quartiles; line: median; whiskers: 5th to 95th percentile; diamond: mean.")
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
            _figure(svg, "Box: quartiles; line: median; whiskers: 5th to 95th percentile; diamond: mean.")
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
                    Col("scored_people", "people scored", _int, True),
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
    body.append(_notes(sc.notes))
    return _section("scores", "".join(body))


def _render_validation(va: Validation) -> str:
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
                value_format=_fixed3,
                fig_id="fig-cluster-validation",
            )
            figs.append(_figure(svg, "Seed stability, holdout and Ward agreement (ARI) and silhouette."))
        if jac:
            thr = jac[0]["threshold"]
            svg = charts.bar_chart(
                [r["segment"] for r in jac],
                {"bootstrap Jaccard": [r["value"] for r in jac]},
                title="Bootstrap stability per segment",
                value_format=_fixed3,
                x_domain=(0.0, 1.0),
                reference=thr,
                reference_label=f"threshold {fmt_num(thr)}" if thr is not None else "",
                fig_id="fig-cluster-jaccard",
            )
            figs.append(
                _figure(svg, "Mean Jaccard similarity of each segment with its best match on resamples.")
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
            _figure(
                svg, "Customers grouped by their repeat purchases in the calibration period (BG/NBD fit)."
            )
        )
        body.append(
            table(
                "clv-calibration-table",
                [
                    Col("frequency_bucket", "calibration repeat purchases"),
                    Col("n_customers", "customers", _int, True),
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
            value_format=_fixed3,
            x_domain=(0.0, 1.0),
            reference=0.5,
            reference_label="chance (ROC)",
            fig_id="fig-churn-models",
        )
        body.append(
            _figure(svg, "The selected model is used for customer_scores; the recency baseline is a floor.")
        )
        body.append(
            table(
                "churn-models-table",
                [
                    Col("model", "model"),
                    Col("auc", "ROC AUC", _fixed3, True),
                    Col("pr_auc", "PR AUC", _fixed3, True),
                    Col("brier_score", "Brier", _fixed3, True),
                    Col("top_decile_lift", "top-decile lift", lambda v: f"{v:.2f}", True),
                    Col("base_rate", "churn base rate", fmt_pct, True),
                    Col("n_train", "train rows", _int, True),
                    Col("n_valid", "validation rows", _int, True),
                    Col("is_selected", "selected"),
                ],
                va.churn_models,
                key="model",
            )
        )
    body.append(_notes(va.notes))
    return _section("validation", "".join(body))


def _run_label(t: dt.datetime, runs: Sequence[dt.datetime]) -> str:
    same_day = len({r.date() for r in runs}) == 1
    return f"{t:%H:%M:%S}" if same_day else f"{t:%Y-%m-%d %H:%M}"


def _render_transitions(tr: Transitions) -> str:
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
            body.append(_figure(svg, f"From segment_membership_snapshot ({seg_type} segments)."))
        body.append("</div>")
        if tr.changes:
            body.append("<h3>Entries and exits after the initial load</h3>")
            body.append(
                table(
                    "transitions-table",
                    [
                        Col("transition_date", "date", _plain),
                        Col("segment_type", "type"),
                        Col("segment_name", "segment"),
                        Col("entered", "entered", _int, True),
                        Col("exited", "exited", _int, True),
                    ],
                    tr.changes,
                )
            )
        else:
            body.append("<p>No entries or exits since the initial load.</p>")
    body.append(_notes(tr.notes))
    return _section("transitions", "".join(body))


def render_report(d: ReportData) -> str:
    """The whole report as one HTML document (inline CSS and SVG, no scripts, no external links)."""
    nav = "".join(f'<a href="#{sid}">{esc(title)}</a>' for sid, title in SECTIONS)
    as_of = d.overview.get("as_of_date")
    sub = f"Warehouse {d.db_path} · generated {d.generated_at:%Y-%m-%d %H:%M:%S} UTC" + (
        f" · data as of {_plain(as_of)}" if as_of is not None else ""
    )
    sections = [
        _render_overview(d),
        _render_data_quality(d.data_quality),
        _render_k_selection(d.k_selection),
        _render_segments(d.segments),
        _render_personas(d.personas),
        _render_scores(d.scores),
        _render_validation(d.validation),
        _render_transitions(d.transitions),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>audience: segment report</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>audience: segment report</h1><p>{html.escape(sub)}</p></header>"
        f"<nav>{nav}</nav><main>{''.join(sections)}</main></body></html>\n"
    )


def write_report(db_path: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """Read the warehouse at `db_path` and write the report to `out_path` (atomically); returns the path."""
    data = load_report_data(db_path)
    doc = render_report(data)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(doc)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
