"""Zero-copy landing of Parquet files (macros/raw/land_raw_files.sql).

Parquet files are not copied into DuckDB: `raw.<table>` is a view over the CSV rows table and
one `read_parquet` branch per landed file. These tests land a folder of web-event batch files
(two Parquet, one CSV) into a warehouse that still holds the old landing table, then edit one
Parquet file, delete the other and add a third with a partial header in another case, and check
after each run that raw holds exactly the rows of the files present (every column text, 1-based
`_source_row`, one `_loaded_at` per load), that an unchanged file is not reloaded, that the
ledger counts the rows, and that incremental staging equals a `--full-refresh` build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.python.conftest import DbtRun, run_dbt_ok, table_differences

pytestmark = pytest.mark.e2e

COLUMNS = ["event_id", "anonymous_id", "customer_id", "session_id", "event_type", "event_at"]
SELECT = ["--select", "stg_web__events"]


def _events(prefix: str, n: int, day: str, event_type: str = "page_view") -> pa.Table:
    return pa.table(
        {
            "event_id": [f"{prefix}{i}" for i in range(n)],
            "anonymous_id": [f"d{i % 3}" for i in range(n)],
            "customer_id": [None if i % 2 else f"C{i}" for i in range(n)],
            "session_id": [f"s{prefix}{i // 2}" for i in range(n)],
            "event_type": [event_type] * n,
            "event_at": [f"{day} 10:{i % 60:02d}:00" for i in range(n)],
        }
    )


@dataclass
class LandingRuns:
    raw: Path
    first: DbtRun
    second: DbtRun
    loaded_first: dict[str, str]
    first_state: dict[str, list[tuple]]  # queried before the files change (the view is live)
    fresh: DbtRun


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> LandingRuns:
    work = tmp_path_factory.mktemp("landing_parquet")
    raw = work / "raw"
    (raw / "web_events").mkdir(parents=True)
    (raw / "orders.csv").write_text("order_id,customer_id,ordered_at,order_total\nO1,C0,2024-06-01,10\n")
    pq.write_table(_events("A", 5, "2024-06-01"), raw / "web_events" / "a.parquet")
    # a typed column: integers land as text
    b = _events("B", 4, "2024-06-02").set_column(0, "event_id", pa.array([201, 202, 203, 204], pa.int64()))
    pq.write_table(b, raw / "web_events" / "b.parquet")
    (raw / "web_events" / "c.csv").write_text(",".join(COLUMNS) + "\nC1,d9,,s9,login,2024-06-03 09:00:00\n")

    db = work / "inc" / "audience.duckdb"
    db.parent.mkdir()
    # a warehouse landed by the copy-everything hook: raw.web_events is a table
    con = duckdb.connect(str(db))
    con.execute("create schema raw")
    con.execute("create table raw.web_events (event_id varchar, _source_file varchar)")
    con.execute("insert into raw.web_events values ('stale', 'gone.parquet')")
    con.close()

    first = run_dbt_ok("first run", ["run", *SELECT], raw, db, work / "inc")
    loaded_first = dict(
        first.query("select _source_file, cast(max(_loaded_at) as varchar) from raw.web_events group by 1")
    )
    b_path = str(raw / "web_events" / "b.parquet")
    first_state = {
        "files": first.query(
            "select _source_file, count(*), min(_source_row), max(_source_row), "
            "count(distinct _loaded_at) from raw.web_events group by 1 order by 1"
        ),
        "types": first.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'web_events'"
        ),
        "b_row_3": first.query(
            f"select event_id from raw.web_events where _source_file = '{b_path}' and _source_row = 3"
        ),
        "stale": first.query("select count(*) from raw.web_events where event_id = 'stale'"),
    }

    # edit b (other rows, fewer), delete a, add d with a partial header in upper case
    pq.write_table(_events("B", 2, "2024-06-04", "add_to_cart"), raw / "web_events" / "b.parquet")
    (raw / "web_events" / "a.parquet").unlink()
    pq.write_table(
        pa.table(
            {
                "EVENT_ID": ["D1", "D2"],
                "Event_Type": ["purchase", "login"],
                "event_at": ["2024-06-05 08:00:00", "2024-06-05 08:01:00"],
                "customer_id": ["C1", "C2"],
            }
        ),
        raw / "web_events" / "d.parquet",
    )
    second = run_dbt_ok("second run", ["run", *SELECT], raw, db, work / "inc")

    fresh_db = work / "fresh" / "audience.duckdb"
    fresh_db.parent.mkdir()
    fresh = run_dbt_ok("full-refresh run", ["run", "--full-refresh", *SELECT], raw, fresh_db, work / "fresh")
    return LandingRuns(raw, first, second, loaded_first, first_state, fresh)


def _path(raw: Path, name: str) -> str:
    return str(raw / "web_events" / name)


def test_parquet_sources_are_views_and_csv_rows_a_table(landing):
    kinds = dict(
        landing.first.query(
            "select table_name, table_type from information_schema.tables where table_schema = 'raw'"
        )
    )
    assert kinds["web_events"] == "VIEW"
    assert kinds["web_events__csv_rows"] == "BASE TABLE"
    assert kinds["web_events__rejects"] == "BASE TABLE"
    # the Parquet rows are not copied
    assert landing.first.query("select count(*) from raw.web_events__csv_rows") == [(1,)]


def test_first_landing_holds_every_row_as_text(landing):
    state = landing.first_state
    assert state["files"] == [
        (_path(landing.raw, "a.parquet"), 5, 1, 5, 1),
        (_path(landing.raw, "b.parquet"), 4, 1, 4, 1),
        (_path(landing.raw, "c.csv"), 1, 1, 1, 1),
    ]
    types = dict(state["types"])
    assert all(types[c] == "VARCHAR" for c in COLUMNS), types
    assert types["_source_row"] == "BIGINT" and types["_loaded_at"] == "TIMESTAMP"
    assert state["b_row_3"] == [("203",)]  # an int64 Parquet column lands as text
    assert state["stale"] == [(0,)]  # the old landing table (and its stale row) is gone


def test_ledger_counts_parquet_rows(landing):
    ledger = dict(
        landing.second.query(
            "select file_path, rows_loaded from raw._audience_files where source_table = 'web.events'"
        )
    )
    assert ledger == {
        _path(landing.raw, "b.parquet"): 2,
        _path(landing.raw, "c.csv"): 1,
        _path(landing.raw, "d.parquet"): 2,
    }


def test_edited_removed_and_new_files(landing):
    q = landing.second.query
    got = q("select _source_file, event_id, event_type, _source_row from raw.web_events order by 1, 4")
    assert got == [
        (_path(landing.raw, "b.parquet"), "B0", "add_to_cart", 1),
        (_path(landing.raw, "b.parquet"), "B1", "add_to_cart", 2),
        (_path(landing.raw, "c.csv"), "C1", "login", 1),
        (_path(landing.raw, "d.parquet"), "D1", "purchase", 1),
        (_path(landing.raw, "d.parquet"), "D2", "login", 2),
    ]
    # d.parquet has no session_id column: null, as for a CSV without it
    assert q("select count(session_id) from raw.web_events where event_id like 'D%'") == [(0,)]
    loaded = dict(q("select _source_file, cast(max(_loaded_at) as varchar) from raw.web_events group by 1"))
    c, b = _path(landing.raw, "c.csv"), _path(landing.raw, "b.parquet")
    assert loaded[c] == landing.loaded_first[c], "an unchanged file was reloaded"
    assert loaded[b] != landing.loaded_first[b], "an edited Parquet file kept its old load time"


def test_incremental_staging_equals_full_refresh(landing):
    only_inc, only_full, n_inc, _ = table_differences(
        landing.second.db_path, landing.fresh.db_path, "stg_web__events"
    )
    assert (only_inc, only_full, n_inc) == (0, 0, 5)


def test_a_source_file_filter_skips_other_parquet_files(landing):
    # incremental staging filters raw on _source_file: the branches of other files fold to
    # empty results and are not scanned (DuckDB still reads each file's footer when binding)
    d = _path(landing.raw, "d.parquet")

    def parquet_scans(where: str) -> int:
        plan = landing.second.query(f"explain select * from raw.web_events {where}")
        return sum(text.count("READ_PARQUET") for _, text in plan)

    everything = parquet_scans("")
    assert everything > 0
    assert parquet_scans(f"where _source_file in ('{d}')") * 2 == everything  # one of two files
