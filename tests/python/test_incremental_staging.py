"""Staging incremental by landed file (macros/staging/incremental_by_source_file.sql).

One generated dataset (1,200 customers, with injected mess) plus one appended day of batch
files, built in full. Then a second day is appended, one existing web batch file is changed (a
row edited, a row dropped), the first day's order and order-item batch files are deleted and a
new email batch file lands; the realtime selection and then a plain `dbt build` run
incrementally. The incremental staging tables must then hold exactly the rows a
`--full-refresh` build of the same raw folder gives (`except all` both ways, all columns but
the load time): after the realtime run those it selects (order items are not in it), after the
plain build all four; the plain build must pass its tests with dq_reconciliation accounting for
every raw row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import DbtRun, generate, run_dbt, run_dbt_ok, table_differences

pytestmark = pytest.mark.e2e

N_CUSTOMERS = 1200
SEED = 31
STAGING = [
    "stg_web__events",
    "stg_email__events",
    "stg_shop__orders",
    "stg_crm__customers",
    "stg_crm__consent_events",
    "stg_survey__responses",
    "stg_shop__order_items",
]
REALTIME_STAGING = STAGING[:-1]  # selectors.yml `realtime` does not rebuild order items
RAW = {
    "stg_crm__customers": "raw.customers",
    "stg_crm__consent_events": "raw.consent_events",
    "stg_survey__responses": "raw.survey_responses",
    "stg_web__events": "raw.web_events",
    "stg_email__events": "raw.email_events",
    "stg_shop__orders": "raw.orders",
    "stg_shop__order_items": "raw.order_items",
}
NO_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


@dataclass
class IncrementalRuns:
    work: Path
    raw: Path
    changed_file: Path
    deleted_files: list[Path]
    first: DbtRun
    realtime: DbtRun
    full_refresh: DbtRun


def _rewrite_batch(path: Path) -> None:
    """Change a landed batch file: a new event type in its first row, its last row dropped."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert len(body) >= 3, f"{path} is too small to edit"
    body[0][header.index("event_type")] = "add_to_cart"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body[:-1]])


def _rewrite_customers(path: Path) -> None:
    """Change the CRM file: the first customer's country becomes "U.K.", the last row is dropped."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    body[0][header.index("country")] = "U.K."
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body[:-1]])


def _new_email_batch(raw: Path, db: Path) -> Path:
    """A batch file for a source that had one file so far: 5 opens of sent emails, a day later."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """
            select customer_id, campaign_id, cast(event_at + interval 1 day as varchar)
            from stg_email__events
            where dq_reason is null and customer_id is not null and campaign_id is not null
            order by email_event_id
            limit 5
            """
        ).fetchall()
    finally:
        con.close()
    path = raw / "email_events" / "batch-extra.csv"
    path.parent.mkdir(exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email_event_id", "customer_id", "campaign_id", "event_type", "event_at"])
        for i, (customer_id, campaign_id, event_at) in enumerate(rows):
            writer.writerow([f"extra-{i}", customer_id, campaign_id, "open", event_at])
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> IncrementalRuns:
    from audience import synth

    work = tmp_path_factory.mktemp("incremental_staging")
    raw = work / "raw"
    generate(raw, n_customers=N_CUSTOMERS, seed=SEED)
    synth.append_day(raw, seed=SEED)
    db = work / "incremental" / "audience.duckdb"
    db.parent.mkdir()
    first = run_dbt_ok("first build", ["build", *NO_TESTS], raw, db, work / "incremental")

    changed_file = sorted((raw / "web_events").glob("*.csv"))[0]
    deleted_files = [sorted((raw / stem).glob("*.csv"))[0] for stem in ("orders", "order_items")]
    synth.append_day(raw, seed=SEED)
    _rewrite_batch(changed_file)
    _rewrite_customers(raw / "customers.csv")
    for path in deleted_files:
        path.unlink()
    _new_email_batch(raw, db)

    realtime = run_dbt_ok(
        "realtime build", ["build", "--selector", "realtime"], raw, db, work / "incremental"
    )

    fresh = work / "fresh" / "audience.duckdb"
    fresh.parent.mkdir()
    full_refresh = run_dbt_ok(
        "full-refresh staging", ["run", "--full-refresh", "--select", *STAGING], raw, fresh, work / "fresh"
    )
    return IncrementalRuns(work, raw, changed_file, deleted_files, first, realtime, full_refresh)



def _assert_same_as_full_refresh(runs: IncrementalRuns, tables: list[str]) -> None:
    for table in tables:
        only_inc, only_full, n_inc, n_full = table_differences(
            runs.realtime.db_path, runs.full_refresh.db_path, table
        )
        assert (only_inc, only_full) == (0, 0), (
            f"{table}: {only_inc} rows only in the incremental table, {only_full} only in the "
            f"full refresh ({n_inc} vs {n_full} rows)"
        )
        assert n_inc == n_full > 0


def _assert_loads_match_raw(run: DbtRun, tables: list[str]) -> None:
    """Every staged file carries the load time of its rows in raw: no stale or vanished load."""
    for table in tables:
        stale = run.query(
            f"""
            select count(*) from (
                select _source_file, _loaded_at from {table}
                except
                select _source_file, _loaded_at from {RAW[table]}
            )
            """
        )
        assert stale == [(0,)], f"{table} holds rows of a load that is no longer in {RAW[table]}"


def test_realtime_staging_equals_a_full_refresh(runs):
    _assert_same_as_full_refresh(runs, REALTIME_STAGING)


def test_realtime_run_picked_up_edits_deletions_and_new_files(runs):
    q = runs.realtime.query
    changed = str(runs.changed_file).replace("'", "''")
    deleted = str(runs.deleted_files[0]).replace("'", "''")
    assert q(f"select count(*) from stg_shop__orders where _source_file = '{deleted}'") == [(0,)]
    assert q(
        f"select event_type from stg_web__events where _source_file = '{changed}' and _source_row = 1"
    ) == [("add_to_cart",)]
    assert q("select count(*) from stg_email__events where _source_file like '%batch-extra.csv'") == [(5,)]
    # the edited CRM file was restaged, and the seed lookup downstream sees the new key
    assert q("select country_key from stg_crm__customers where _source_row = 1") == [("uk",)]
    assert q("select country_code from int_customers_validated where _source_row = 1") == [("GB",)]
    _assert_loads_match_raw(runs.realtime, REALTIME_STAGING)


def test_plain_build_after_realtime_passes_and_reconciles(runs):
    build = run_dbt(["build"], runs.raw, runs.realtime.db_path, runs.work / "incremental")
    assert build.returncode == 0, build.output[-8000:]
    _assert_same_as_full_refresh(runs, STAGING)
    _assert_loads_match_raw(build, STAGING)
    deleted = str(runs.deleted_files[1]).replace("'", "''")
    left = build.query(f"select count(*) from stg_shop__order_items where _source_file = '{deleted}'")
    assert left == [(0,)]
    rec = build.df("select source, unaccounted_rows, clean_rows from dq_reconciliation")
    assert len(rec) > 0
    assert (rec["unaccounted_rows"] == 0).all(), rec.to_string()
    assert (rec["clean_rows"] > 0).all(), rec.to_string()


def test_validated_customers_ignore_columns_staging_no_longer_has(runs):
    """A warehouse staged before the country lookup moved downstream keeps the old country_code
    column in stg_crm__customers (incremental tables keep dropped columns); the lookup must win."""
    con = duckdb.connect(str(runs.realtime.db_path))
    try:
        con.execute("alter table stg_crm__customers add column country_code varchar default 'XX'")
    finally:
        con.close()
    run = run_dbt(
        ["build", "--select", "stg_crm__customers", "int_customers_validated"],
        runs.raw,
        runs.realtime.db_path,
        runs.work / "incremental",
    )
    assert run.returncode == 0, run.output[-8000:]
    assert run.query("select count(*) from stg_crm__customers where country_code = 'XX'")[0][0] > 0
    assert run.query("select count(*) from int_customers_validated where country_code = 'XX'") == [(0,)]
    assert run.query("select count(country_code) from int_customers_validated")[0][0] > 0
