"""Read-only access to the warehouse tables, with "not available because ..." reasons.

The queries use DuckDB SQL (the report reads the DuckDB warehouse file and nothing else).
"""

from __future__ import annotations

from typing import Any

import duckdb


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
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


class Warehouse:
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

    def available(self, notes: list[str], what: str, *tables: str) -> bool:
        """True when every table exists and has rows; else False, with the note "`what` not
        available because ..." added to `notes`."""
        reason = self.missing(*tables)
        if reason:
            notes.append(not_available(what, reason))
        return reason is None

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return _rows(self.con, sql, params)


def not_available(what: str, reason: str) -> str:
    return f"{what} not available because {reason}."


def segment_labels(wh: Warehouse) -> dict[int, str]:
    """cluster_id -> "id · persona name" (or "Segment id" without personas)."""
    labels: dict[int, str] = {}
    if wh.missing("segment_personas") is None:
        for r in wh.rows("select cluster_id, persona_name from main.segment_personas order by cluster_id"):
            labels[int(r["cluster_id"])] = f"{r['cluster_id']} · {r['persona_name']}"
    return labels


def segment_label(labels: dict[int, str], cluster_id: int) -> str:
    return labels.get(int(cluster_id), f"Segment {cluster_id}")
