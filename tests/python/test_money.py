"""Money read as the data says: decimal conventions, returns and cancellations, currencies,
quantities and ids (docs/data_contract.md, "Amounts" and "Returns, cancellations and
currencies").

One build on a few hundred generated customers (no injected mess), post-processed into the
shapes real exports have: the orders as a semicolon-separated European Excel file with comma
decimals and dotted thousands, cancellation notes (negative totals, status cancelled), orders in
a second currency, ids mangled by Excel's scientific notation, and order lines as a Parquet file
with bad quantities, a blank price and NaN/inf in the float price column.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import DbtRun, generate, run_dbt_ok

pytestmark = pytest.mark.e2e

AS_OF = "2025-12-31"
SELECT = [
    "--select",
    "+customer_profiles",
    "+int_clv_transactions",
    "+dq_reconciliation",
    "+dq_quarantine",
    "+dq_duplicates",
    "--indirect-selection",
    "cautious",
    "--vars",
    f"{{as_of_date: '{AS_OF}'}}",
]
SCI_ID = "1.23457E+11"
BAD_QUANTITIES = ["abc", "1.5", "two", "3 pcs"]


def european(x: float) -> str:
    """1234.5 -> '1.234,50' (dotted thousands, comma decimals)."""
    return f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def make_money_folder(raw: Path) -> dict:
    """The generated folder in the shapes of real exports; returns what the build must find."""
    generate(raw, n_customers=300, seed=5, mess_rate=0.0)
    orders = pd.read_csv(raw / "orders.csv", dtype=str, keep_default_na=False)
    items = pd.read_csv(raw / "order_items.csv", dtype=str, keep_default_na=False)
    (raw / "orders.csv").unlink()
    (raw / "order_items.csv").unlink()
    orders["total"] = orders["order_total"].astype(float)

    completed = orders[(orders["status"] == "completed") & (orders["ordered_at"] < "2025-12-01")]
    picks = completed.sort_values("order_id")["order_id"].to_numpy()
    cancelled_ids, gbp_ids, sci_ids = picks[0:30:3], picks[1:25:3], picks[2:6:3]
    assert len(set(cancelled_ids) | set(gbp_ids) | set(sci_ids)) == len(cancelled_ids) + len(gbp_ids) + 2

    # a few large orders, so that the European file has dotted thousands (`1.316,62`)
    large = orders["order_id"].isin(picks[30:35])
    orders.loc[large, "total"] = orders.loc[large, "total"] + 1234.0
    orders.loc[large, "order_total"] = orders.loc[large, "total"].map("{:.2f}".format)

    # cancellation notes: a new document with the negative total of the order it cancels
    notes = orders[orders["order_id"].isin(cancelled_ids)].copy()
    notes["order_id"] = "X" + notes["order_id"]
    notes["total"] = -notes["total"]
    notes["status"] = "cancelled"
    notes["discount_amount"] = "0.00"
    orders.loc[orders["order_id"].isin(gbp_ids), "currency"] = "GBP"
    orders = pd.concat([orders, notes], ignore_index=True)
    truth = {
        "orders": orders.copy(),
        "notes": notes,
        "gbp_ids": set(gbp_ids),
        "sci_ids": set(sci_ids),
    }
    orders.loc[orders["order_id"].isin(sci_ids), "order_id"] = SCI_ID

    # the European Excel export: semicolons, comma decimals, dotted thousands, a euro sign on some
    eu = orders.drop(columns="total").copy()
    eu["order_total"] = [
        european(t) + (" €" if i % 3 == 0 and cur == "EUR" else "")
        for i, (t, cur) in enumerate(zip(orders["total"], orders["currency"], strict=True))
    ]
    eu["discount_amount"] = [european(float(d)) for d in orders["discount_amount"]]
    eu.to_csv(raw / "orders.csv", sep=";", index=False)

    # order lines as Parquet: text quantities (bad ones included), float prices with NaN and inf
    items = items[~items["order_id"].isin(sci_ids)].reset_index(drop=True)
    price = items["unit_price"].astype(float).to_numpy().copy()
    quantity = items["quantity"].to_numpy().copy()
    bad_rows = list(range(len(BAD_QUANTITIES)))
    quantity[bad_rows] = BAD_QUANTITIES
    blank_row, nan_row, inf_row = 10, 11, 12
    price_arr = pa.array(price, pa.float64())
    price_list = price_arr.to_pylist()
    price_list[blank_row] = None
    price_list[nan_row] = math.nan
    price_list[inf_row] = math.inf
    note_id = notes["order_id"].iloc[0]
    lines = pa.table(
        {
            "order_id": list(items["order_id"]) + [note_id],
            "line_number": list(items["line_number"]) + ["1"],
            "product_id": list(items["product_id"]) + ["P1"],
            "category": list(items["category"]) + ["grocery"],
            "quantity": list(quantity) + ["-1"],
            "unit_price": pa.array(price_list + [-float(notes["total"].iloc[0])], pa.float64()),
        }
    )
    pq.write_table(lines, raw / "order_items.parquet")
    truth["items"] = {
        "bad_quantity_keys": {f"{items['order_id'][r]}#{items['line_number'][r]}" for r in bad_rows},
        "blank_key": f"{items['order_id'][blank_row]}#{items['line_number'][blank_row]}",
        "nan_key": f"{items['order_id'][nan_row]}#{items['line_number'][nan_row]}",
        "inf_key": f"{items['order_id'][inf_row]}#{items['line_number'][inf_row]}",
        "return_line_key": f"{note_id}#1",
    }
    return truth


@pytest.fixture(scope="module")
def money(tmp_path_factory) -> tuple[DbtRun, dict]:
    work = tmp_path_factory.mktemp("money")
    truth = make_money_folder(work / "raw")
    run = run_dbt_ok(
        "dbt build on the money folder", ["build", *SELECT], work / "raw", work / "audience.duckdb", work
    )
    return run, truth


def reasons(run: DbtRun, source: str) -> dict[str, str]:
    return dict(
        run.query(
            "select business_key, reason_code from dq_quarantine "
            f"where source = '{source}' and business_key is not null"
        )
    )


def test_reconciliation_holds(money):
    run, _ = money
    rows = run.query("select source, is_reconciled from dq_reconciliation")
    assert rows and all(ok for _, ok in rows), rows


def test_european_amounts_are_read_with_their_real_value(money):
    run, truth = money
    orders = truth["orders"]
    got = run.df("select order_id, cast(order_total as double) as got from int_orders_deduplicated")
    merged = orders.merge(got, on="order_id", how="inner")
    # every order but the two whose ids Excel destroyed is clean, with its exact value
    assert len(merged) == len(orders) - len(truth["sci_ids"])
    np.testing.assert_allclose(merged["got"], merged["total"], atol=1e-9)
    assert (merged["total"] >= 1000).any()  # dotted thousands were exercised


def test_cancellation_notes_are_refunds_not_bad_data(money):
    run, truth = money
    notes = truth["notes"]
    quarantined = reasons(run, "shop.orders")
    assert not set(notes["order_id"]) & set(quarantined)
    kinds = dict(run.query("select order_id, revenue_kind from int_order_revenue where order_id like 'X%'"))
    assert kinds == {i: "refund" for i in notes["order_id"]}
    # net revenue = purchases (gross) minus the cancelled totals; frequency counts purchases only
    gross, net, orders = run.query(
        "select sum(gross_revenue), sum(total_revenue), sum(order_count) from customer_profiles"
    )[0]
    assert gross - net == pytest.approx(-notes["total"].sum(), abs=1e-6)
    all_orders = truth["orders"]
    purchases = all_orders[
        (all_orders["status"] == "completed") & ~all_orders["order_id"].isin(truth["sci_ids"])
    ]
    assert orders == len(purchases)
    # CLV/churn purchase days: only positive purchases
    assert run.query("select min(purchase_value) > 0 from int_clv_transactions") == [(True,)]


def test_mixed_currencies_are_reported_not_summed(money):
    run, truth = money
    currencies = {
        c: (reporting, converted)
        for c, reporting, converted in run.query(
            "select currency, reporting_currency, is_converted from int_order_currencies"
        )
    }
    assert currencies == {"EUR": ("EUR", True), "GBP": ("EUR", False)}
    assert run.query("select distinct revenue_currency from customer_profiles") == [("EUR",)]
    unconverted = run.query("select sum(unconverted_order_count) from customer_profiles")[0][0]
    assert unconverted == len(truth["gbp_ids"])
    all_orders = truth["orders"]
    eur_purchases = all_orders[
        (all_orders["status"] == "completed")
        & (all_orders["currency"] == "EUR")
        & ~all_orders["order_id"].isin(truth["sci_ids"])
    ]
    gross = run.query("select sum(gross_revenue) from customer_profiles")[0][0]
    assert gross == pytest.approx(eur_purchases["total"].sum(), abs=1e-6)


def test_bad_numbers_are_quarantined_where_they_enter(money):
    run, truth = money
    items = truth["items"]
    got = reasons(run, "shop.order_items")
    assert {k: got.get(k) for k in items["bad_quantity_keys"]} == {
        k: "invalid_quantity" for k in items["bad_quantity_keys"]
    }
    assert got.get(items["blank_key"]) == "missing_amount"
    assert got.get(items["nan_key"]) == "unparseable_amount"
    assert got.get(items["inf_key"]) == "unparseable_amount"
    # returned units on a cancellation note are a business event
    assert items["return_line_key"] not in got
    key = items["return_line_key"]
    clean = run.query(f"select quantity from int_order_items_deduplicated where order_item_id = '{key}'")
    assert clean == [(-1,)]


def test_scientific_notation_ids_are_not_collapsed(money):
    run, _ = money
    rows = run.query(
        f"select reason_code, count(*) from dq_quarantine where business_key = '{SCI_ID}' group by 1"
    )
    assert rows == [("invalid_id", 2)]
    assert run.query(f"select count(*) from dq_duplicates where business_key = '{SCI_ID}'") == [(0,)]
