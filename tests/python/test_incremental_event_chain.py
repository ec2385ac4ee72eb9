"""Incremental event chain after staging (macros/standardize/latest_version.sql).

`int_web_events_deduplicated`, `int_email_events_deduplicated`, `int_web_sessions_daily`,
`int_orders_deduplicated` and the identity pair tables
`int_identity_web_pairs` and `int_identity_email_pairs` are incremental. One generated dataset
(1,200 customers, with injected mess) plus two appended days, built in full; then, step by
step, the raw folder, the as-of date or the build's clock changes and the realtime selection or
a plain `dbt build` runs incrementally. Every step sets the build's clock (var build_clock) to the
end of its as-of day, so the future_timestamp cutoff (clock + future_tolerance_days) moves with
the data as a daily build's clock does.
After every step the six tables must hold exactly the rows a `--full-refresh` build of the
same raw folder and vars gives (`except all` both ways, all columns but the load time).

  step 1 (realtime): a web batch file lands with a new event and a newer version of an existing
      event, both dated after the future cutoff (quarantined for now), and a newer version of
      another event with no event type (quarantined for good); an existing web batch file is
      edited (a row changed, a row dropped); the first web batch file is removed; an email batch
      lands with a conflicting newer version of an existing email event; an order batch lands
      with a new order on the as-of date, a conflicting newer version of an existing order (wins)
      and a newer version with a negative amount of another (quarantined for good); an existing
      order batch file is edited (a row changed, a row dropped) and the other one removed.
      (Orders set the as-of date, so an order after the cutoff would move it: the orders'
      future_timestamp branches are covered by steps 3 and 4.)
  step 2 (plain build, tests on): one more day is appended, so the as-of date and the cutoff
      move forward and the future rows become valid (the newer versions now win); a late
      backfill web and order file (named to sort first) brings older versions of a kept event
      and a kept order, which must not win over the kept rows;
      dq_reconciliation still accounts for every raw row.
  step 3 (realtime): the as-of date and the clock move backward (vars as_of_date and
      build_clock: a past build repeated), so the orders of the last 20 days become
      future_timestamp, and a customer with email events and orders leaves the
      CRM file (their email events and orders become unknown_customer).
  step 4 (realtime): the as-of date is the default and the clock that of step 2 again (those
      orders are valid again) and the customer is back.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import DbtRun, generate, run_dbt_ok, table_differences

pytestmark = pytest.mark.e2e

N_CUSTOMERS = 1200
SEED = 37
CHAIN = [
    "int_web_events_deduplicated", "int_email_events_deduplicated", "int_web_sessions_daily",
    "int_orders_deduplicated", "int_identity_web_pairs", "int_identity_email_pairs",
]
NO_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
ORDER_HEADER = [
    "order_id", "customer_id", "ordered_at", "order_total", "currency", "status", "channel",
    "discount_amount",
]
WEB_HEADER = [
    "event_id", "anonymous_id", "customer_id", "session_id", "event_type", "event_at",
    "platform", "page_url", "product_id", "category",
]


@dataclass
class Chain:
    work: Path
    raw: Path
    db: Path
    as_of: dt.date
    removed_customer: str
    steps: dict[str, DbtRun]
    diffs: dict[str, dict[str, tuple[int, int, int, int]]]
    facts: dict[str, dict]


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], body: list[list[str]]) -> None:
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body])


def _land_web_batch(raw: Path, db: Path, as_of: dt.date) -> dict[str, str]:
    """New event + newer version of e_a after the cutoff, quarantined newer version of e_b."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        (e_a, e_b) = [
            r[0]
            for r in con.execute(
                "select event_id from int_web_events_deduplicated order by event_id limit 2"
            ).fetchall()
        ]
        anon, customer = con.execute(
            "select anonymous_id, customer_id from int_web_events_deduplicated "
            "where customer_id is not null order by event_id limit 1"
        ).fetchone()
    finally:
        con.close()
    later = f"{as_of + dt.timedelta(days=2)} 12:00:00"
    body = [
        ["chain-new-1", anon, customer, "chain-s1", "page_view", later, "web", "/x", "", ""],
        [e_a, anon, customer, "chain-s1", "purchase", later, "app", "/y", "", ""],
        [e_b, anon, customer, "chain-s1", "", f"{as_of} 08:00:00", "web", "/z", "", ""],
    ]
    _write(raw / "web_events" / "zz-chain.csv", WEB_HEADER, body)
    return {"e_a": e_a, "e_b": e_b}


def _edit_and_remove_web_batches(raw: Path) -> None:
    batches = sorted((raw / "web_events").glob("2*.csv"))
    assert len(batches) >= 2, batches
    batches[0].unlink()
    header, body = _rows(batches[1])
    body[0][header.index("event_type")] = "search"
    _write(batches[1], header, body[:-1])


def _land_backfill(raw: Path, db: Path) -> dict[str, str]:
    """A web and an order file that sort before every batch file, each with another version of
    a row kept from a batch file: the kept row must stay (the pre-hook ranks the new
    versions against the kept rows, not the whole history)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        web = con.execute(
            "select event_id, anonymous_id, customer_id, session_id, event_type, "
            "cast(event_at as varchar), platform from int_web_events_deduplicated "
            "where _source_file like '%/web_events/2%' order by event_id limit 1"
        ).fetchone()
        order = con.execute(
            "select order_id, customer_id, cast(ordered_at as varchar), currency, order_status, channel "
            "from int_orders_deduplicated where _source_file like '%/orders/2%' order by order_id limit 1"
        ).fetchone()
    finally:
        con.close()
    event_id, anon, customer, session, event_type, event_at, platform = web
    _write(
        raw / "web_events" / "00-backfill.csv",
        WEB_HEADER,
        [[
            event_id, anon or "", customer or "", session or "", event_type, event_at, platform,
            "/backfill", "", "",
        ]],
    )
    order_id, order_customer, ordered_at, currency, status, channel = order
    _write(
        raw / "orders" / "00-backfill.csv",
        ORDER_HEADER,
        [[order_id, order_customer, ordered_at, "55.55", currency, status, channel, "0.00"]],
    )
    return {"backfill_event": event_id, "backfill_order": order_id}


def _land_order_batch(raw: Path, db: Path, as_of: dt.date) -> dict[str, str]:
    """A new order on the as-of date (not later: orders set the as-of date), a conflicting newer
    version of o_b, a quarantined (negative amount) newer version of o_c, in a file that sorts
    after the others."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select order_id, customer_id, cast(ordered_at as varchar) from int_orders_deduplicated "
            "where _source_file like '%orders.csv' order by order_id limit 2"
        ).fetchall()
    finally:
        con.close()
    (o_b, customer_b, at_b), (o_c, customer_c, at_c) = rows
    body = [
        ["chain-order-1", customer_b, f"{as_of} 00:00:01", "12.50", "EUR", "completed", "web", "0.00"],
        [o_b, customer_b, at_b, "77.77", "EUR", "returned", "web", "1.00"],
        [o_c, customer_c, at_c, "-5.00", "EUR", "completed", "web", "0.00"],
    ]
    _write(raw / "orders" / "zz-chain.csv", ORDER_HEADER, body)
    return {"o_b": o_b, "o_c": o_c}


def _edit_and_remove_order_batches(raw: Path) -> None:
    batches = sorted((raw / "orders").glob("2*.csv"))
    assert len(batches) >= 2, batches
    batches[0].unlink()
    header, body = _rows(batches[1])
    body[0][header.index("order_total")] = "1.23"
    _write(batches[1], header, body[:-1])


def _land_email_batch(raw: Path, db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        key, customer, campaign, event_at = con.execute(
            "select email_event_id, customer_id, campaign_id, cast(event_at as varchar) "
            "from int_email_events_deduplicated where event_type = 'open' and campaign_id is not null "
            "order by email_event_id limit 1"
        ).fetchone()
    finally:
        con.close()
    path = raw / "email_events" / "batch-chain.csv"
    path.parent.mkdir(exist_ok=True)
    _write(
        path,
        ["email_event_id", "customer_id", "campaign_id", "event_type", "event_at"],
        [[key, customer, campaign, "click", event_at]],
    )
    return key


def _customer_with_email(db: Path) -> str:
    """The customer with the most email events among those with clean orders."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "select customer_id from int_email_events_deduplicated "
            "where customer_id in (select customer_id from int_orders_deduplicated) "
            "group by customer_id order by count(*) desc, customer_id limit 1"
        ).fetchone()[0]
    finally:
        con.close()


def _facts(run: DbtRun, keys: dict[str, str]) -> dict:
    def one(sql: str):
        return run.query(sql)[0][0]

    facts = {
        "chain_new": one("select count(*) from int_web_events_deduplicated where event_id = 'chain-new-1'"),
        "e_a": one(
            f"select max(event_type) from int_web_events_deduplicated where event_id = '{keys['e_a']}'"
        ),
        "e_b_from_chain_file": one(
            "select count(*) from int_web_events_deduplicated "
            f"where event_id = '{keys['e_b']}' and _source_file like '%zz-chain.csv'"
        ),
        "email_click": one(
            "select count(*) from int_email_events_deduplicated "
            f"where email_event_id = '{keys['email_key']}' and event_type = 'click'"
        ),
        "order_new": one("select count(*) from int_orders_deduplicated where order_id = 'chain-order-1'"),
        "o_b_from_chain_file": one(
            "select count(*) from int_orders_deduplicated "
            f"where order_id = '{keys['o_b']}' and _source_file like '%zz-chain.csv' and order_total = 77.77"
        ),
        "o_c_from_chain_file": one(
            "select count(*) from int_orders_deduplicated "
            f"where order_id = '{keys['o_c']}' and _source_file like '%zz-chain.csv'"
        ),
        "o_c_kept": one(f"select count(*) from int_orders_deduplicated where order_id = '{keys['o_c']}'"),
        "orders_after_cutoff": one(
            f"select count(*) from int_orders_deduplicated where ordered_at >= {_CUTOFF}"
        ),
        "after_cutoff": one(
            "select count(*) from int_web_events_deduplicated "
            f"where event_at >= {_CUTOFF}"
        ),
        "tables": run.query("select table_name from information_schema.tables"),
        "reconciliation": run.query("select source, unaccounted_rows, clean_rows from dq_reconciliation"),
    }
    if "backfill_event" in keys:
        facts["backfill_event"] = run.query(
            "select _source_file, page_url from int_web_events_deduplicated "
            f"where event_id = '{keys['backfill_event']}'"
        )
        facts["backfill_order"] = run.query(
            "select _source_file, order_total from int_orders_deduplicated "
            f"where order_id = '{keys['backfill_order']}'"
        )
    if "removed" in keys:
        facts["removed_customer_rows"] = one(
            "select count(*) from int_email_events_deduplicated "
            f"where customer_id = '{keys['removed']}'"
        )
        facts["removed_customer_orders"] = one(
            f"select count(*) from int_orders_deduplicated where customer_id = '{keys['removed']}'"
        )
    return facts


# the future cutoff: the clock (the end of the as-of day in every step, see _clock) plus
# future_tolerance_days = 1 (dbt_project.yml)
_CUTOFF = "(select cast(as_of_date as timestamp) + interval 2 day from int_as_of_date)"


def _clock(as_of: dt.date) -> str:
    """The var build_clock of a build whose clock reads the end of the as-of day."""
    return f"build_clock: '{as_of + dt.timedelta(days=1)} 00:00:00'"


def _vars(*items: str) -> list[str]:
    return ["--vars", "{" + ", ".join(items) + "}"]


def _fresh(work: Path, raw: Path, name: str, extra: list[str]) -> Path:
    db = work / f"fresh_{name}" / "audience.duckdb"
    db.parent.mkdir()
    args = ["build", "--full-refresh", *NO_TESTS, "--select", *(f"+{t}" for t in CHAIN), *extra]
    run_dbt_ok(f"full refresh {name}", args, raw, db, db.parent)
    return db


def _step(name: str, args: list[str], raw: Path, db: Path, work: Path) -> DbtRun:
    return run_dbt_ok(name, args, raw, db, work / "incremental")


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Chain:
    from audience import synth

    work = tmp_path_factory.mktemp("incremental_chain")
    raw = work / "raw"
    generate(raw, n_customers=N_CUSTOMERS, seed=SEED)
    synth.append_day(raw, seed=SEED)
    synth.append_day(raw, seed=SEED + 100)  # two web batch files: one is edited, one removed
    db = work / "incremental" / "audience.duckdb"
    db.parent.mkdir()
    steps: dict[str, DbtRun] = {}
    diffs: dict[str, dict[str, tuple[int, int, int, int]]] = {}
    facts: dict[str, dict] = {}

    def check(step: str, extra: list[str]) -> None:
        fresh = _fresh(work, raw, step, extra)
        diffs[step] = {t: table_differences(db, fresh, t) for t in CHAIN}
        facts[step] = _facts(steps[step], keys)
    steps["first"] = _step("first build", ["build", *NO_TESTS], raw, db, work)
    as_of = steps["first"].query("select as_of_date from int_as_of_date")[0][0]

    keys = _land_web_batch(raw, db, as_of)
    _edit_and_remove_web_batches(raw)
    keys["email_key"] = _land_email_batch(raw, db)
    keys.update(_land_order_batch(raw, db, as_of))
    _edit_and_remove_order_batches(raw)
    clock1 = _vars(_clock(as_of))
    steps["step1"] = _step("step 1", ["build", "--selector", "realtime", *clock1], raw, db, work)
    check("step1", clock1)

    synth.append_day(raw, seed=SEED + 1)
    keys.update(_land_backfill(raw, db))
    clock2 = _vars(_clock(as_of + dt.timedelta(days=1)))
    steps["step2"] = _step("step 2", ["build", *clock2], raw, db, work)
    check("step2", clock2)

    removed = _customer_with_email(db)
    customers = raw / "customers.csv"
    original = customers.read_bytes()
    header, body = _rows(customers)
    _write(customers, header, [r for r in body if r[0] != removed])
    back_as_of = as_of - dt.timedelta(days=20)
    back = _vars(f"as_of_date: '{back_as_of}'", _clock(back_as_of))
    steps["step3"] = _step("step 3", ["build", "--selector", "realtime", *back], raw, db, work)
    keys["removed"] = removed
    check("step3", back)

    customers.write_bytes(original)
    steps["step4"] = _step("step 4", ["build", "--selector", "realtime", *clock2], raw, db, work)
    check("step4", clock2)
    return Chain(work, raw, db, as_of, removed, steps, diffs, facts)



def _assert_same(chain: Chain, step: str) -> None:
    for table in CHAIN:
        only_inc, only_full, n_inc, n_full = chain.diffs[step][table]
        assert (only_inc, only_full) == (0, 0), (
            f"{step}, {table}: {only_inc} rows only in the incremental table, {only_full} only in "
            f"the full refresh ({n_inc} vs {n_full} rows)"
        )
        assert n_inc == n_full > 0


def test_new_edited_and_removed_files_and_conflicting_versions(chain):
    _assert_same(chain, "step1")
    facts = chain.facts["step1"]
    assert facts["chain_new"] == 0  # after the cutoff: quarantined for now
    assert facts["e_a"] != "purchase"  # its newer version is after the cutoff
    assert facts["e_b_from_chain_file"] == 0  # the quarantined newer version never wins
    assert facts["email_click"] == 1  # the conflicting newer email version wins
    assert facts["order_new"] == 1
    assert facts["o_b_from_chain_file"] == 1  # the conflicting newer order version wins
    assert facts["o_c_from_chain_file"] == 0  # the quarantined newer version never wins
    assert facts["o_c_kept"] == 1  # and does not remove the older clean version


def test_cutoff_moving_forward_and_plain_build(chain):
    _assert_same(chain, "step2")
    facts = chain.facts["step2"]
    assert facts["chain_new"] == 1
    assert facts["e_a"] == "purchase"
    assert facts["order_new"] == 1
    rec = chain.facts["step2"]["reconciliation"]
    assert len(rec) > 0
    assert all(unaccounted == 0 for _, unaccounted, _ in rec), rec
    assert all(clean > 0 for _, _, clean in rec), rec
    # the late backfill versions sort before the kept rows' batch files: the kept rows stay
    [(web_file, page_url)] = facts["backfill_event"]
    assert "/web_events/2" in web_file and page_url != "/backfill", (web_file, page_url)
    [(order_file, order_total)] = facts["backfill_order"]
    assert "/orders/2" in order_file and float(order_total) != 55.55, (order_file, order_total)


def test_cutoff_moving_backward_and_customer_leaving(chain):
    _assert_same(chain, "step3")
    facts = chain.facts["step3"]
    assert facts["removed_customer_rows"] == 0
    assert facts["removed_customer_orders"] == 0
    assert facts["after_cutoff"] == 0
    assert facts["orders_after_cutoff"] == 0
    assert facts["order_new"] == 0  # on the default as-of date: after the earlier cutoff now


def test_cutoff_and_customer_back(chain):
    _assert_same(chain, "step4")
    facts = chain.facts["step4"]
    assert facts["removed_customer_rows"] > 0
    assert facts["removed_customer_orders"] > 0
    assert facts["chain_new"] == 1
    assert facts["order_new"] == 1


CANDIDATES = re.compile(
    r"(int_\w+_deduplicated): candidates (?:(from the whole history)|from the kept rows and the new versions)"
)


def _candidate_paths(chain: Chain, step: str) -> dict[str, str]:
    """Per deduplicated model: 'history' (every clean version of the keys whose kept row may
    lose is ranked) or 'kept' (the kept rows stand for the versions seen before)."""
    return {
        model: "history" if history else "kept"
        for model, history in CANDIDATES.findall(chain.steps[step].output)
    }


def test_candidates_skip_the_history_unless_a_kept_row_may_lose(chain):
    """The model reads the whole history of a key only when its kept row may not win any more;
    every step above still equals a full refresh, on both paths."""
    paths = {step: _candidate_paths(chain, step) for step in ("step1", "step2", "step3", "step4")}
    models = {"int_web_events_deduplicated", "int_email_events_deduplicated", "int_orders_deduplicated"}
    assert all(set(p) == models for p in paths.values()), paths
    # step 1: web and order batch files were removed and edited: their kept rows may lose
    assert paths["step1"]["int_web_events_deduplicated"] == "history", paths
    assert paths["step1"]["int_orders_deduplicated"] == "history", paths
    assert paths["step1"]["int_email_events_deduplicated"] == "kept", paths  # only a new batch
    # step 2: one appended day, the cutoff moves forward: nothing kept can lose
    assert paths["step2"] == dict.fromkeys(models, "kept"), paths
    # step 3: the cutoff moves backward and a customer leaves: kept rows lose
    assert paths["step3"] == dict.fromkeys(models, "history"), paths
    # step 4: the customer is back: their rows are fresh versions, no kept row loses
    assert paths["step4"] == dict.fromkeys(models, "kept"), paths


def test_no_scratch_tables(chain):
    """The incremental models keep no state outside their own tables."""
    tables = {r[0] for r in chain.facts["step4"]["tables"]}
    scratch = ("__changed_keys", "__candidates", "__changed_pairs", "__kept_versions", "__changed_dates")
    assert not [t for t in tables if t.endswith(scratch)], tables
