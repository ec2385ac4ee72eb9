"""The as-of date, rows after it, and consent (one dbt build on 300 generated customers).

The generated data ends 60 days before today (the build's clock), so these rows, added to it,
are dated after the data but before the clock, except one:
  - a consent revocation (channel `all`) 50 days after the data, for a customer who granted
    consent on the data's last day and has orders: a later consent state is current data;
  - an order 45 days after the data (a mistyped month) for a customer without orders: it must
    not move the as-of date, is not bad data, and does not count in the customer's orders;
  - a CRM update 50 days after the data (a fresher CRM export) that renames a customer: the
    profile shows the new name, the row is not quarantined;
  - an order dated 200 days after today: later than the clock, quarantined future_timestamp.
The revocation and the CRM update are dated after the mistyped order, so they would also be
"future" if that order set the as-of date.
A second build of the same folder is a backtest (var as_of_date 30 days before the data's end):
the later rows are counted after the as-of date, not quarantined.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from .conftest import DbtRun, generate, run_dbt_ok

pytestmark = pytest.mark.e2e

TODAY = dt.date.today()
END = TODAY - dt.timedelta(days=60)


@dataclass
class Case:
    run: DbtRun
    exports: Path
    data_end: dt.date  # latest order or web event date of the generated data
    revoked: str  # customer who revoked after the data
    late_buyer: str  # customer whose only order is the mistyped one
    renamed: str  # customer updated by the fresher CRM row


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], body: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *body])


def _row(header: list[str], base: dict[str, str], **values: str) -> list[str]:
    row = {**base, **values}
    return [row.get(column, "") for column in header]


def _ts(day: dt.date, time: str = "12:00:00") -> str:
    return f"{day.isoformat()} {time}"


def _inject(raw: Path) -> tuple[dt.date, str, str, str]:
    oh, orders = _read(raw / "orders.csv")
    wh, web = _read(raw / "web_events.csv")
    ch, customers = _read(raw / "customers.csv")
    kh, consent = _read(raw / "consent_events.csv")
    o_cust, o_at = oh.index("customer_id"), oh.index("ordered_at")
    data_end = max(dt.date.fromisoformat(r[o_at][:10]) for r in orders if r[o_at][:4].isdigit())
    w_at = wh.index("event_at")
    data_end = max(data_end, *(dt.date.fromisoformat(r[w_at][:10]) for r in web if r[w_at][:4].isdigit()))

    counts: dict[str, int] = {}
    for r in orders:
        counts[r[o_cust]] = counts.get(r[o_cust], 0) + 1
    c_id, c_email, c_first, c_upd = (
        ch.index(c) for c in ("customer_id", "email", "first_name", "updated_at")
    )
    with_email = [r for r in customers if r[c_email]]
    buyers = sorted(
        (r for r in with_email if counts.get(r[c_id], 0) > 0), key=lambda r: (-counts[r[c_id]], r[c_id])
    )
    revoked, renamed = buyers[0][c_id], buyers[1][c_id]
    late_buyer = sorted(r[c_id] for r in with_email if r[c_id] not in counts)[0]

    # consent: granted on the data's last day, revoked 50 days later (before the clock)
    base = {"customer_id": revoked, "channel": "all", "source": "preference_center"}
    consent.append(
        _row(kh, base, consent_event_id="T_GRANT", status="granted", event_at=_ts(data_end, "23:59:58"))
    )
    consent.append(
        _row(
            kh,
            base,
            consent_event_id="T_REVOKE",
            status="revoked",
            event_at=_ts(data_end + dt.timedelta(days=50)),
        )
    )
    _write(raw / "consent_events.csv", kh, consent)

    # orders: a mistyped month (45 days after the data) and an order after the clock
    base = {
        "currency": "EUR",
        "status": "completed",
        "channel": "web",
        "order_total": "40.00",
        "discount_amount": "0.00",
    }
    orders.append(
        _row(
            oh,
            base,
            order_id="T_LATE",
            customer_id=late_buyer,
            ordered_at=_ts(data_end + dt.timedelta(days=45)),
        )
    )
    orders.append(
        _row(
            oh, base, order_id="T_FUTURE", customer_id=renamed, ordered_at=_ts(TODAY + dt.timedelta(days=200))
        )
    )
    _write(raw / "orders.csv", oh, orders)

    # CRM: a fresher export renames a customer 50 days after the data
    for r in customers:
        if r[c_id] == renamed:
            r[c_first] = "Fresher"
            r[c_upd] = _ts(data_end + dt.timedelta(days=50))
    _write(raw / "customers.csv", ch, customers)
    return data_end, revoked, late_buyer, renamed


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Case:
    work = tmp_path_factory.mktemp("as_of")
    raw = work / "raw"
    generate(raw, n_customers=300, seed=1, mess_rate=0.0, end_date=END.isoformat())
    data_end, revoked, late_buyer, renamed = _inject(raw)
    run = run_dbt_ok("dbt build with rows after the data", ["build"], raw, work / "audience.duckdb", work)
    return Case(run, work / "exports", data_end, revoked, late_buyer, renamed)


@pytest.fixture(scope="module")
def backtest(case, tmp_path_factory) -> tuple[DbtRun, dt.date]:
    work = tmp_path_factory.mktemp("backtest")
    shutil.copytree(case.run.raw_dir, work / "raw")
    as_of = case.data_end - dt.timedelta(days=30)
    args = ["build", "--vars", f"{{as_of_date: '{as_of}'}}"]
    run = run_dbt_ok("backtest build", args, work / "raw", work / "audience.duckdb", work)
    return run, as_of


def _one(run: DbtRun, sql: str):
    rows = run.query(sql)
    assert len(rows) == 1, (sql, rows)
    return rows[0]


def _person(run: DbtRun, customer_id: str) -> str:
    return _one(
        run,
        "select person_id from int_identities_stitched "
        f"where identifier_type = 'customer_id' and identifier = '{customer_id}'",
    )[0]


def test_a_mistyped_order_does_not_move_the_as_of_date(case):
    as_of, chosen_by, latest = _one(
        case.run, "select as_of_date, chosen_by, latest_activity_date from int_as_of_date"
    )
    assert as_of == case.data_end
    assert chosen_by == "data"
    # the later rows are seen (the plain maximum is the revocation's and the CRM update's day),
    # not obeyed
    assert latest == case.data_end + dt.timedelta(days=50)


def test_rows_after_the_as_of_date_are_counted_apart_from_quarantine(case):
    quarantined = dict(
        case.run.query(
            "select business_key, reason_code from dq_quarantine "
            "where business_key in ('T_LATE', 'T_FUTURE', 'T_GRANT', 'T_REVOKE') "
            f"or (source = 'crm.customers' and business_key = '{case.renamed}')"
        )
    )
    assert quarantined == {"T_FUTURE": "future_timestamp"}
    after = dict(case.run.query("select source, after_as_of_date_rows from dq_reconciliation"))
    assert after == {
        "shop.orders": 1,
        "shop.order_items": None,
        "crm.customers": 1,
        "crm.consent_events": 1,
        "web.events": 0,
        "email.events": 0,
        "survey.responses": 0,
    }
    assert case.run.query("select bool_and(is_reconciled) from dq_reconciliation") == [(True,)]


def test_orders_after_the_as_of_date_do_not_count_as_purchases(case):
    person = _person(case.run, case.late_buyer)
    order_count, last_order_at = _one(
        case.run, f"select order_count, last_order_at from customer_profiles where person_id = '{person}'"
    )
    assert (order_count or 0) == 0
    assert last_order_at is None


def test_a_fresher_crm_export_is_current_data(case):
    person = _person(case.run, case.renamed)
    assert _one(case.run, f"select first_name from customer_profiles where person_id = '{person}'") == (
        "Fresher",
    )


def test_a_revocation_after_the_last_order_withholds_the_person_everywhere(case):
    person = _person(case.run, case.revoked)
    email, email_ok, ads_ok, marketing_ok = _one(
        case.run,
        "select email, has_email_consent, has_ads_consent, has_marketing_consent "
        f"from customer_profiles where person_id = '{person}'",
    )
    assert (email_ok, ads_ok, marketing_ok) == (False, False, False)
    # the person is a member of exported segments: only consent keeps them out of the files
    memberships = case.run.query(f"select count(*) from segment_membership where person_id = '{person}'")[0][
        0
    ]
    assert memberships > 0
    files = sorted(case.exports.rglob("members_*.csv"))
    assert files, "no export files written"
    con = duckdb.connect()
    try:
        crm = con.execute(
            "select count(*) from read_csv(?, all_varchar = true, union_by_name = true) "
            "where customer_id = ? or person_id = ? or lower(email) = lower(?)",
            [[str(f) for f in files if "crm_email" in f.parts], case.revoked, person, email],
        ).fetchone()[0]
        ads = con.execute(
            "select count(*) from read_csv(?, all_varchar = true, union_by_name = true) "
            "where email_sha256 = sha256(lower(trim(?)))",
            [[str(f) for f in files if "ad_audiences" in f.parts], email],
        ).fetchone()[0]
    finally:
        con.close()
    assert (crm, ads) == (0, 0)


def test_membership_and_transitions_carry_the_as_of_date(case):
    as_of = case.data_end
    assert case.run.query("select distinct as_of_date from segment_membership") == [(as_of,)]
    assert case.run.query("select distinct as_of_date from segment_transitions") == [(as_of,)]


def test_a_backtest_counts_later_rows_apart_from_data_quality(backtest):
    run, as_of = backtest
    assert _one(run, "select as_of_date, chosen_by from int_as_of_date") == (as_of, "var")
    assert run.query("select business_key, reason_code from dq_quarantine") == [
        ("T_FUTURE", "future_timestamp")
    ]
    con = duckdb.connect()
    try:
        later = {
            source: con.execute(
                f"select count(*) from read_csv(?, all_varchar = true) where cast({column} as date) > ?",
                [str(run.raw_dir / file), as_of],
            ).fetchone()[0]
            for source, file, column in [
                ("shop.orders", "orders.csv", "ordered_at"),
                ("web.events", "web_events.csv", "event_at"),
                ("email.events", "email_events.csv", "event_at"),
            ]
        }
    finally:
        con.close()
    later["shop.orders"] -= 1  # T_FUTURE: quarantined, not clean
    after = dict(run.query("select source, after_as_of_date_rows from dq_reconciliation"))
    assert {source: after[source] for source in later} == later
    assert min(later.values()) > 0
    assert run.query("select bool_and(is_reconciled) from dq_reconciliation") == [(True,)]
    assert run.query("select distinct as_of_date from segment_transitions") == [(as_of,)]
