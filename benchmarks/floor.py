"""The floor under the full build: what the least a build must do with the raw files costs here.

The target "full build at 1M customers under 5 minutes" is weighed against passes that no design
of the build can skip, run in plain DuckDB on the generated raw Parquet files with the build's
settings (threads, memory_limit), each statement into a fresh database file:

  copy        every raw file written once into a table, untyped (`create table as select *`): a
              build that keeps typed, queryable tables pays at least this once
  typing      the web events' timestamps cast once (the canonical format only: no other format,
              no validation), the least typing the raw text costs
  dedup_key   one hash aggregate over the web events' key (`group by event_id having count(*) > 1`),
              the least a deduplication must do to find the repeated keys
  sessions    one aggregate of the web events per session (count, min/max time), the least the
              trigger segments must do
  profile     one aggregate of the orders per customer (count, sum, max date), the least RFM needs

Prints one line per pass (wall and CPU seconds, rows) and their sum. Nothing here is typed,
validated, quarantined, stitched or tested: the build does all of that on top.

    .venv/bin/python benchmarks/floor.py --raw-dir /tmp/bench/data/raw_1000000_parquet_s42
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb

PASSES = {
    "typing": (
        "web_events",
        "select count(try_cast(event_at as timestamp)) from {t}",
    ),
    "dedup_key": (
        "web_events",
        "select count(*) from (select event_id from {t} group by event_id having count(*) > 1)",
    ),
    "sessions": (
        "web_events",
        "select count(*), sum(n) from (select session_id, count(*) as n, min(event_at) as first_at, "
        "max(event_at) as last_at from {t} group by session_id) where first_at <= last_at",
    ),
    "profile": (
        "orders",
        "select count(*), sum(n) from (select customer_id, count(*) as n, max(ordered_at) as last_at "
        "from {t} group by customer_id) where last_at is not null",
    ),
}


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, float, list]:
    wall, cpu = time.perf_counter(), _cpu()
    rows = con.execute(sql).fetchall()
    return time.perf_counter() - wall, _cpu() - cpu, rows


def measure(raw_dir: Path, threads: int, memory_limit: str, work_dir: Path) -> list[dict]:
    """One row per pass: name, source, rows, wall_s, cpu_s."""
    files = sorted(raw_dir.glob("*.parquet"))
    if not files:
        raise SystemExit(f"{raw_dir}: no *.parquet files (generate with --format parquet)")
    con = duckdb.connect(str(work_dir / "floor.duckdb"))
    con.execute(f"set threads = {threads}")
    con.execute(f"set memory_limit = '{memory_limit}'")
    con.execute(f"set temp_directory = '{work_dir / 'floor.tmp'}'")
    results = []
    for path in files:
        wall, cpu, _ = _timed(con, f"create table {path.stem} as select * from read_parquet('{path}')")
        (n,) = con.execute(f"select count(*) from {path.stem}").fetchone()
        results.append({"pass": "copy", "source": path.stem, "rows": n, "wall_s": wall, "cpu_s": cpu})
    tables = {p.stem for p in files}
    for name, (table, sql) in PASSES.items():
        if table not in tables:
            continue
        wall, cpu, rows = _timed(con, sql.format(t=table))
        results.append({"pass": name, "source": table, "rows": rows[0][0], "wall_s": wall, "cpu_s": cpu})
    con.close()
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw-dir", type=Path, required=True, help="a generated raw folder (Parquet)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="5GB")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="audience_floor_") as tmp:
        results = measure(args.raw_dir, args.threads, args.memory_limit, Path(tmp))
    print("| pass | source | rows | wall (s) | CPU (s) |\n| --- | --- | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['pass']} | {r['source']} | {r['rows']:,} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} |")
    total_wall = sum(r["wall_s"] for r in results)
    total_cpu = sum(r["cpu_s"] for r in results)
    print(f"| **sum** | | | **{total_wall:.1f}** | **{total_cpu:.1f}** |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
