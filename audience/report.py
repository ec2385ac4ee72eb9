"""Build summary: rows per mart and segment sizes, read from the warehouse file."""

from __future__ import annotations

import duckdb

# Marts a user reads, in the order the summary prints them.
MARTS = (
    "customer_profiles",
    "customer_clusters",
    "segment_personas",
    "customer_scores",
    "segment_membership",
    "dq_reconciliation",
)


def _existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'"
    ).fetchall()
    return {r[0] for r in rows}


def summary_text(db_path: str) -> str:
    """Return a short, printable summary of the marts in the DuckDB file at `db_path`."""
    con = duckdb.connect(db_path, read_only=True)
    try:
        tables = _existing_tables(con)
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
