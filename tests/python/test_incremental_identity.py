"""Incremental identity stitching (models/intermediate/identity/int_identities_stitched.sql).

`int_identities_stitched` recomputes, after its first build, only the connected components that
a new or dropped link touches. One generated dataset (1,200 customers, with injected mess) is
built with a whole `dbt build` (which the realtime selection needs); then, step by step, the raw
folder or the vars change and the model's parents run incrementally. After every step
`int_identities_stitched` and `int_identity_edges` must hold exactly the rows a `--full-refresh`
build of the same raw folder and vars gives (`except all` both ways), and the current links of
int_identity_edge_history (the state the next run compares with) must be exactly
int_identity_edges.

  step 1 (realtime selector): one appended day (new devices, logins, new customers' links).
  step 2: a web batch links a device of one customer to another customer (two persons merge),
      and an email batch links one customer's email to four more customers, so that email
      becomes shared and links nobody (a person splits).
  step 3: the as-of date moves back 20 days (links of later records drop out).
  step 4: var identity_max_iterations changes: every component is recomputed.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.python.conftest import DbtRun, generate, run_dbt_ok, table_differences

pytestmark = pytest.mark.e2e

N_CUSTOMERS = 1200
SEED = 41
TABLES = ["int_identities_stitched", "int_identity_edges"]
NO_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
UPSTREAM = ["--select", "+int_identities_stitched"]
WEB_HEADER = [
    "event_id", "anonymous_id", "customer_id", "session_id", "event_type", "event_at",
    "platform", "page_url", "product_id", "category",
]
EMAIL_HEADER = ["email_event_id", "customer_id", "email", "campaign_id", "event_type", "event_at"]


@dataclass
class Identity:
    steps: dict[str, DbtRun]
    diffs: dict[str, dict[str, tuple[int, int, int, int]]]
    facts: dict[str, dict]


def _write(path: Path, header: list[str], body: list[list[str]]) -> None:
    path.parent.mkdir(exist_ok=True)
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body])


def _fresh(work: Path, raw: Path, name: str, extra: list[str]) -> Path:
    db = work / f"fresh_{name}" / "audience.duckdb"
    db.parent.mkdir()
    args = ["build", "--full-refresh", *NO_TESTS, *UPSTREAM, *extra]
    run_dbt_ok(f"full refresh {name}", args, raw, db, db.parent)
    return db


def _step(name: str, args: list[str], raw: Path, db: Path, work: Path) -> DbtRun:
    return run_dbt_ok(name, args, raw, db, work / "incremental")


def _affected(run: DbtRun) -> tuple[int, int]:
    """(identifiers the run wrote, identifiers in the table): a run stamps the rows it writes."""
    return tuple(
        run.query(
            "select count(case when _written_at = (select max(_written_at) from int_identities_stitched) "
            "then 1 end), count(*) from int_identities_stitched"
        )[0]
    )


def _person(run: DbtRun, identifier_type: str, identifier: str) -> str | None:
    rows = run.query(
        "select person_id from int_identities_stitched "
        f"where identifier_type = '{identifier_type}' and identifier = '{identifier}'"
    )
    return rows[0][0] if rows else None


@pytest.fixture(scope="module")
def identity(tmp_path_factory) -> Identity:
    from audience import synth

    work = tmp_path_factory.mktemp("incremental_identity")
    raw = work / "raw"
    generate(raw, n_customers=N_CUSTOMERS, seed=SEED)
    db = work / "incremental" / "audience.duckdb"
    db.parent.mkdir()
    steps: dict[str, DbtRun] = {}
    diffs: dict[str, dict[str, tuple[int, int, int, int]]] = {}
    facts: dict[str, dict] = {}

    def check(step: str, extra: list[str]) -> None:
        fresh = _fresh(work, raw, step, extra)
        diffs[step] = {t: table_differences(db, fresh, t) for t in TABLES}
        facts[step]["affected"] = _affected(steps[step])
        # the links the next run compares with are exactly the current ones
        links = "identifier_type_a, identifier_a, identifier_type_b, identifier_b"
        current = f"select {links} from int_identity_edge_history where removed_at is null"
        facts[step]["history_vs_edges"] = steps[step].query(
            f"select (select count(*) from ({current} except all select {links} from int_identity_edges)), "
            f"(select count(*) from (select {links} from int_identity_edges except all {current}))"
        )[0]

    steps["first"] = _step("first build", ["build", *NO_TESTS], raw, db, work)
    first = steps["first"]
    as_of = first.query("select as_of_date from int_as_of_date")[0][0]

    synth.append_day(raw, seed=SEED)
    steps["step1"] = _step("step 1", ["build", "--selector", "realtime", *NO_TESTS], raw, db, work)
    facts["step1"] = {}
    check("step1", [])

    # two persons with a customer_id each and a device each, and one customer whose CRM email
    # is linked to nobody else yet
    (c_dev, device), (c_other, _) = first.query(
        "select customer_id, min(anonymous_id) from int_web_sessions_daily "
        "where customer_id is not null and anonymous_id is not null "
        "group by customer_id order by customer_id limit 2"
    )
    c_mail, mail = first.query(
        "select customer_id, email from int_customers_deduplicated "
        "where email is not null order by customer_id desc limit 1"
    )[0]
    others = [
        r[0]
        for r in first.query(
            "select customer_id from int_customers_deduplicated "
            f"where customer_id not in ('{c_mail}', '{c_dev}', '{c_other}') "
            "order by customer_id desc limit 4 offset 1"
        )
    ]
    when = f"{as_of - dt.timedelta(days=3)} 10:00:00"
    _write(
        raw / "web_events" / "zz-identity.csv",
        WEB_HEADER,
        [["identity-w1", device, c_other, "identity-s1", "page_view", when, "web", "/x", "", ""]],
    )
    _write(
        raw / "email_events" / "zz-identity.csv",
        EMAIL_HEADER,
        [[f"identity-m{i}", c, mail, "", "open", when] for i, c in enumerate(others)],
    )
    before = {
        "mail": _person(first, "email", mail),
        "c_mail": _person(first, "customer_id", c_mail),
        "c_dev": _person(first, "customer_id", c_dev),
        "c_other": _person(first, "customer_id", c_other),
    }
    steps["step2"] = _step("step 2", ["build", *NO_TESTS, *UPSTREAM], raw, db, work)
    run = steps["step2"]
    facts["step2"] = {
        "before": before,
        "mail": _person(run, "email", mail),
        "c_mail": _person(run, "customer_id", c_mail),
        "c_dev": _person(run, "customer_id", c_dev),
        "c_other": _person(run, "customer_id", c_other),
    }
    check("step2", [])

    back = ["--vars", f"{{as_of_date: '{as_of - dt.timedelta(days=20)}'}}"]
    steps["step3"] = _step("step 3", ["build", *NO_TESTS, *UPSTREAM, *back], raw, db, work)
    facts["step3"] = {}
    check("step3", back)

    rounds = ["--vars", "{identity_max_iterations: 12}"]
    steps["step4"] = _step("step 4", ["build", *NO_TESTS, *UPSTREAM, *rounds], raw, db, work)
    facts["step4"] = {}
    check("step4", rounds)
    return Identity(steps, diffs, facts)


def _assert_same(identity: Identity, step: str) -> None:
    for table in TABLES:
        only_inc, only_full, n_inc, n_full = identity.diffs[step][table]
        assert (only_inc, only_full) == (0, 0), (
            f"{step}, {table}: {only_inc} rows only in the incremental table, {only_full} only in "
            f"the full refresh ({n_inc} vs {n_full} rows)"
        )
        assert n_inc == n_full > 0
    assert tuple(identity.facts[step]["history_vs_edges"]) == (0, 0)


def test_appended_day_through_the_realtime_selector(identity):
    _assert_same(identity, "step1")
    affected, total = identity.facts["step1"]["affected"]
    assert 0 < affected < total / 2  # a partial run, far from every identifier


def test_merge_and_split_by_a_shared_email(identity):
    _assert_same(identity, "step2")
    facts = identity.facts["step2"]
    before = facts["before"]
    assert before["c_dev"] != before["c_other"]
    assert facts["c_dev"] == facts["c_other"]  # one device, two customers: one person now
    assert before["mail"] == before["c_mail"]
    assert facts["mail"] != facts["c_mail"]  # the email became shared: it links nobody
    affected, total = identity.facts["step2"]["affected"]
    assert 0 < affected < total / 2


def test_as_of_date_moving_back(identity):
    _assert_same(identity, "step3")
    affected, total = identity.facts["step3"]["affected"]
    assert 0 < affected < total


def test_other_number_of_rounds_recomputes_everything(identity):
    _assert_same(identity, "step4")
    affected, total = identity.facts["step4"]["affected"]
    assert affected == total
    assert "every component is recomputed" in identity.steps["step4"].output
