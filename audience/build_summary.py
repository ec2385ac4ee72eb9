"""The build summary, `audience summary` (the closing lines of `make build`): rows per mart and
segment sizes, what the data could not support, where a build's outputs are and how it went.

Reads only files a build leaves behind: the warehouse's marts, dbt's target/run_results.json
(what ran and how it ended), the BI file's `bi_publish` table (what BI tools see now), the
warehouse's as-of date (int_as_of_date, dq_reconciliation), the activation manifest.csv and the
report file.
Everything missing is said plainly instead of failing: a summary must never hide the build's
own message.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb

# dbt result statuses that mean "went wrong"; `warn` is reported apart
FAILED = {"error", "fail", "runtime error"}
# Marts a user reads, in the order the summary prints them.
MARTS = (
    "customer_profiles",
    "customer_clusters",
    "segment_personas",
    "customer_scores",
    "segment_membership",
    "dq_reconciliation",
)
KINDS = {
    "model": "models",
    "test": "data tests",
    "unit_test": "unit tests",
    "snapshot": "snapshots",
    "seed": "seeds",
}


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables and views in the warehouse's main schema."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'"
    ).fetchall()
    return {r[0] for r in rows}


def summary_text(db_path: str | Path) -> str:
    """Rows per mart and the segments' sizes in the DuckDB file at `db_path`."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = _tables(con)
        lines = ["", "audience: rows per mart"]
        for mart in MARTS:
            if mart in tables:
                n = con.execute(f"select count(*) from main.{mart}").fetchone()[0]
                lines.append(f"  {mart:<24} {n:>10,}")
        if "segment_personas" in tables:
            lines += ["", "cluster segments"]
            rows = con.execute(
                "select cluster_id, persona_name, size, share from main.segment_personas order by cluster_id"
            ).fetchall()
            for cid, name, size, share in rows:
                lines.append(f"  {cid:>3}  {name:<32} {size:>9,}  {share:6.1%}")
        if "segment_membership" in tables:
            lines += ["", "segments by type"]
            rows = con.execute(
                "select segment_type, segment_name, count(*) from main.segment_membership "
                "group by all order by 1, 2"
            ).fetchall()
            for seg_type, name, n in rows:
                lines.append(f"  {seg_type:<11} {name:<36} {n:>9,}")
        return "\n".join(lines)
    finally:
        con.close()


@dataclass(frozen=True)
class RunResults:
    """The outcome of the last dbt invocation with this target folder."""

    command: str
    generated_at: str
    elapsed_s: float
    counts: dict[str, Counter]  # kind -> status -> n

    @property
    def failed(self) -> int:
        return sum(n for c in self.counts.values() for s, n in c.items() if s in FAILED)

    @property
    def warned(self) -> int:
        return sum(c.get("warn", 0) for c in self.counts.values())

    @property
    def skipped(self) -> int:
        return sum(c.get("skipped", 0) for c in self.counts.values())


def read_run_results(path: str | Path) -> RunResults | None:
    """Parse dbt's run_results.json; None when absent or unreadable."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    counts: dict[str, Counter] = {}
    for result in data.get("results", []):
        kind = result.get("unique_id", "").split(".", 1)[0]
        counts.setdefault(kind, Counter())[str(result.get("status"))] += 1
    return RunResults(
        command=str(data.get("args", {}).get("which", "dbt")),
        generated_at=str(data.get("metadata", {}).get("generated_at", ""))[:19].replace("T", " "),
        elapsed_s=float(data.get("elapsed_time") or 0.0),
        counts=counts,
    )


def run_results_line(results: RunResults) -> str:
    parts = []
    for kind, label in KINDS.items():
        c = results.counts.get(kind)
        if c:
            ok = sum(n for s, n in c.items() if s in ("success", "pass"))
            parts.append(f"{ok}/{sum(c.values())} {label}")
    verdict = "ok" if results.failed == 0 and results.skipped == 0 else "FAILED"
    return (
        f"dbt {results.command} {verdict} in {results.elapsed_s:.0f}s, finished {results.generated_at} UTC\n"
        f"              passed {', '.join(parts) or 'nothing'}; "
        f"{results.warned} warnings, {results.failed} errors or failures, {results.skipped} skipped"
    )


def bi_file_line(bi_path: str | Path) -> str:
    path = Path(bi_path)
    if not path.exists():
        return f"{path}  (not published yet: a dbt build without failures writes it)"
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            publish_id, published_at, n_tables = con.execute(
                "select any_value(publish_id), max(published_at), count(*) from bi_publish"
            ).fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        return f"{path}  (cannot read it: {exc})"
    when = (
        published_at.strftime("%Y-%m-%d %H:%M:%S") if isinstance(published_at, dt.datetime) else published_at
    )
    return f"{path}  ({n_tables} tables, published {when}, publish {str(publish_id)[:8]}; open it read-only)"


EXPORT_DESTINATIONS = ("ad_audiences", "crm_email")


def as_of_line(db_path: str | Path) -> str:
    """The as-of date of the last build, how it was chosen (int_as_of_date) and how many clean
    rows lie after it (dq_reconciliation.after_as_of_date_rows)."""
    path = Path(db_path)
    if not path.exists():
        return "not built yet"
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            as_of, how = con.execute("select as_of_date, chosen_how from int_as_of_date").fetchone()
            (after,) = con.execute(
                "select coalesce(sum(after_as_of_date_rows), 0) from dq_reconciliation"
            ).fetchone()
        finally:
            con.close()
    except (duckdb.Error, TypeError) as exc:
        return f"unknown (cannot read int_as_of_date and dq_reconciliation: {exc})"
    later = f"; {after:,} clean rows dated after it, not counted" if after else ""
    return f"{as_of}  ({how}{later})"


def exports_line(export_dir: str | Path) -> str:
    """Files and rows per destination from manifest.csv; a destination with nothing to export
    reads "0 files / 0 rows". Rows without a file path (the all-null row older builds wrote for
    an empty manifest) are no files."""
    manifest = Path(export_dir) / "manifest.csv"
    if not manifest.exists():
        return f"{export_dir}  (no manifest.csv yet)"
    with open(manifest, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("destination") and r.get("file_path", "-")]
    files = Counter(r["destination"] for r in rows)
    people = Counter()
    for r in rows:
        people[r["destination"]] += int(r["row_count"] or 0)
    destinations = sorted(set(EXPORT_DESTINATIONS) | set(files))
    parts = [f"{dest} {files[dest]} files / {people[dest]:,} rows" for dest in destinations]
    return f"{manifest}  ({'; '.join(parts)})"


def locations_text(
    db_path: str | Path,
    bi_path: str | Path,
    export_dir: str | Path,
    target_dir: str | Path,
    report_path: str | Path | None = None,
) -> str:
    """The closing block: where everything is, and how the last dbt invocation ended."""
    db = Path(db_path)
    size = f"{db.stat().st_size / 2**20:,.0f} MiB" if db.exists() else "missing"
    lines = ["", "audience: where things are"]
    lines.append(f"  warehouse   {db}  ({size}; locked while dbt builds)")
    lines.append(f"  as of       {as_of_line(db)}")
    lines.append(f"  BI file     {bi_file_line(bi_path)}")
    lines.append(f"  exports     {exports_line(export_dir)}")
    if report_path is not None:
        report = Path(report_path)
        state = f"{report.stat().st_size / 1024:,.0f} KiB" if report.exists() else "not written"
        lines.append(f"  report      {report}  ({state})")
    results = read_run_results(Path(target_dir) / "run_results.json")
    if results is None:
        lines.append(f"  dbt         no run_results.json in {target_dir}")
    else:
        lines.append(f"  dbt         {run_results_line(results)}")
        lines.append("  docs        make docs  (dbt docs generate; browse with dbt docs serve)")
    return "\n".join(lines)


def coverage_text(db_path: str | Path) -> str:
    """What the build could not use in this data: profile columns left out (dq_feature_coverage,
    grouped by reason) and rule segments that are inactive (rule_segment_members_status).
    Empty when everything carries information or the tables are not built yet."""
    path = Path(db_path)
    if not path.exists():
        return ""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return ""
    try:
        tables = _tables(con)
        left_out: list[tuple[str, str]] = []
        if "dq_feature_coverage" in tables:
            left_out = con.execute(
                "select column_name, reason from main.dq_feature_coverage "
                "where not is_informative order by column_position"
            ).fetchall()
        inactive: list[tuple[str, str]] = []
        if "rule_segment_members_status" in tables:
            inactive = con.execute(
                "select segment_name, inactive_reason from main.rule_segment_members_status "
                "where not is_active order by rule_order"
            ).fetchall()
    finally:
        con.close()
    if not left_out and not inactive:
        return ""
    lines = ["", "not used: no information in this data"]
    by_reason: dict[str, list[str]] = {}
    for column, reason in left_out:
        by_reason.setdefault(reason, []).append(column)
    for reason, columns in by_reason.items():
        lines.append(f"  left out: {', '.join(columns)} ({reason})")
    for name, reason in inactive:
        lines.append(f"  inactive rule: {name} ({reason})")
    return "\n".join(lines)
