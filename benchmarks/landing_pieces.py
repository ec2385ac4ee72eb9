"""Measure the landing and staging of web events alone.

Lands `web_events.parquet` of a generated raw folder into a fresh DuckDB file either as a copy
(`--raw table`: the insert the landing hook used before) or as the view the hook now creates
(`--raw view`), scans three columns, and optionally (`--staging`) runs the compiled
`stg_web__events` (from a dbt target folder) as a CTAS over it with DuckDB's JSON profiler.
Prints wall and CPU seconds, peak RSS and the profile's top operators.

    .venv/bin/python benchmarks/landing_pieces.py --raw-dir /tmp/bench/data/raw_100000_parquet_s42 \\
        --raw view --staging /tmp/me/target/compiled/audience/models/staging/web/stg_web__events.sql
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import time
from pathlib import Path

import duckdb


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _operators(node: dict, depth: int = 0) -> list[tuple[int, str, float, int | None]]:
    name = node.get("operator_name") or node.get("operator_type") or "query"
    rows = [(depth, name.strip(), node.get("operator_timing", 0.0), node.get("operator_cardinality"))]
    for child in node.get("children", []):
        rows += _operators(child, depth + 1)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw-dir", type=Path, required=True)
    ap.add_argument("--raw", choices=("view", "table"), default="view")
    ap.add_argument("--db", type=Path, default=Path("/tmp/landing_pieces.duckdb"))
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--preserve-insertion-order", choices=("true", "false"), default="true")
    ap.add_argument("--staging", type=Path, help="compiled SQL of stg_web__events (dbt target folder)")
    args = ap.parse_args()

    src = str(args.raw_dir / "web_events.parquet")
    for path in (args.db, args.db.with_name(args.db.name + ".wal")):
        path.unlink(missing_ok=True)
    con = duckdb.connect(str(args.db))
    con.execute(f"set memory_limit = '{args.memory_limit}'")
    con.execute(f"set threads = {args.threads}")
    con.execute(f"set preserve_insertion_order = {args.preserve_insertion_order}")
    cols = [r[0] for r in con.execute(f"describe select * from read_parquet('{src}')").fetchall()]
    select_list = ", ".join(f'cast("{c}" as varchar) as "{c}"' for c in cols)
    body = (
        f"select {select_list}, cast('{src}' as varchar) as _source_file, "
        "cast(file_row_number + 1 as bigint) as _source_row, current_timestamp::timestamp as _loaded_at "
        f"from read_parquet('{src}', file_row_number = true)"
    )
    con.execute("create schema raw")
    t0, c0 = time.perf_counter(), _cpu()
    con.execute(f"create {'view' if args.raw == 'view' else 'table'} raw.web_events as {body}")
    t1, c1 = time.perf_counter(), _cpu()
    n = con.execute("select count(*) from raw.web_events").fetchone()[0]
    con.execute(
        "select max(length(event_id)), max(event_at), max(_source_row) from raw.web_events"
    ).fetchall()
    t2, c2 = time.perf_counter(), _cpu()
    print(f"rows {n:,}; landing as {args.raw}: {t1 - t0:.1f} s wall, {c1 - c0:.1f} CPU s")
    print(f"count + scan of 3 columns: {t2 - t1:.1f} s wall, {c2 - c1:.1f} CPU s")

    if args.staging:
        sql = args.staging.read_text()
        # the compiled model names the raw relation with its database: point it at this file's
        sql = re.sub(r'"[^"]+"\."raw"\."web_events"', "raw.web_events", sql)
        profile = args.db.with_suffix(".profile.json")
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{profile}'")
        con.execute(f"create table stg_web__events as {sql}")
        t3, c3 = time.perf_counter(), _cpu()
        con.execute("pragma disable_profiling")
        print(f"stg_web__events CTAS: {t3 - t2:.1f} s wall, {c3 - c2:.1f} CPU s")
        tree = json.loads(profile.read_text())
        print(
            f"profile: latency {tree.get('latency', 0):.1f} s, operator CPU {tree.get('cpu_time', 0):.1f} s, "
            f"bytes written {tree.get('total_bytes_written', 0) / 1e9:.2f} GB, "
            f"peak temp dir {tree.get('system_peak_temp_dir_size', 0) / 1e9:.2f} GB"
        )
        for depth, name, seconds, rows in _operators(tree):
            if seconds >= 0.05:
                print(f"  {'  ' * depth}{name:<28} {seconds:8.2f} s  rows={rows}")
    con.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS {peak:.2f} GiB; warehouse {args.db.stat().st_size / 1e9:.2f} GB")
    for path in (args.db, args.db.with_name(args.db.name + ".wal")):
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
