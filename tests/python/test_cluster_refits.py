"""Acceptance on generated data, through real dbt builds: cluster ids that stay put
across refits, scoring without refit, and the drift figures.

Data: one generation of 3,300 customers (seed 11). The "old" population is that raw folder
with every 11th true person removed from every file (customers, orders and their items, web,
email, survey and consent events, matched through the generator's truth by customer id,
email and anonymous id), about 3,000 people; the full folder then adds the held-out 10%
(300 new customers, ~10% on top of the old ones). The old people's rows are identical in both
folders, so any change of their cluster comes from the refit, not from their data.

Each scenario starts from a copy of the same first build (refit, seed 42, on the old folder)
and builds again into it, so `cluster_fit` holds the previous version, as it would in
production between two scheduled runs.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.conftest import generate, run_dbt, run_dbt_ok

pytestmark = pytest.mark.e2e

SELECT = [
    "--select",
    "+customer_clusters",
    "+segment_personas",
    "+cluster_drift",
    "+cluster_id_matches",
    "+cluster_model_history",
    "--indirect-selection",
    "cautious",
]
HOLD_OUT_EVERY = 11  # every 11th true person is held out of the first build: +10% later


def _restrict(full: Path, out: Path) -> int:
    """Copy the raw folder `full` to `out` without the held-out people; returns how many were held out."""
    out.mkdir(parents=True)
    con = duckdb.connect()
    truth = full / "_truth"
    con.execute(
        f"""
        create table held_out as
        with people as (
            select person_id, row_number() over (order by person_id) as n
            from (select distinct person_id from read_parquet('{truth / "customers.parquet"}'))
        )
        select person_id from people where n % {HOLD_OUT_EVERY} = 0
        """
    )
    con.execute(
        f"""
        create table held_ids as
        select upper(trim(customer_id)) as customer_id, lower(trim(email)) as email
        from read_parquet('{truth / "customers.parquet"}')
        where person_id in (select person_id from held_out)
        """
    )
    con.execute(
        f"""
        create table held_anonymous as
        select anonymous_id from read_parquet('{truth / "anonymous_ids.parquet"}')
        where person_id in (select person_id from held_out)
        """
    )

    def keep(name: str, where: str) -> None:
        src = full / f"{name}.csv"
        con.execute(
            f"copy (select * from read_csv('{src}', all_varchar = true, header = true) where {where}) "
            f"to '{out / (name + '.csv')}' (header, force_quote *)"
        )

    by_customer = "coalesce(upper(trim(customer_id)), '') not in (select customer_id from held_ids)"
    by_email = "coalesce(lower(trim(email)), '') not in (select email from held_ids where email is not null)"
    keep("customers", by_customer)
    keep("orders", by_customer)
    kept = out / "orders.csv"
    con.execute(f"create table kept_orders as select order_id from read_csv('{kept}', all_varchar = true)")
    keep("order_items", "order_id in (select order_id from kept_orders)")
    keep(
        "web_events",
        f"{by_customer} and coalesce(anonymous_id, '') not in (select anonymous_id from held_anonymous)",
    )
    keep("email_events", f"{by_customer} and {by_email}")
    keep("survey_responses", f"{by_customer} and {by_email}")
    keep("consent_events", by_customer)
    shutil.copytree(truth, out / "_truth")
    return con.execute("select count(*) from held_out").fetchone()[0]


@pytest.fixture(scope="module")
def refit_data(tmp_path_factory):
    work = tmp_path_factory.mktemp("refits")
    full = work / "full"
    generate(full, n_customers=3300, seed=11)
    old = work / "old"
    n_held = _restrict(full, old)
    (work / "first").mkdir()
    first = run_dbt_ok("first build", ["build", *SELECT], old, work / "first.duckdb", work / "first")
    return {"work": work, "full": full, "old": old, "first": first, "n_held": n_held}


def _build_again(refit_data, tmp_path: Path, raw: Path, variables: str | None = None):
    db = tmp_path / "again.duckdb"
    shutil.copy(refit_data["first"].db_path, db)
    args = ["build", *SELECT] + (["--vars", variables] if variables else [])
    run = run_dbt(args, raw, db, tmp_path)
    assert run.returncode == 0, run.output[-6000:]
    return run


def _labels(run) -> pd.DataFrame:
    return run.df("select person_id, cluster_id from customer_clusters").set_index("person_id")["cluster_id"]


def _names(run) -> dict[int, str]:
    return dict(run.query("select cluster_id, persona_name from segment_personas"))


def test_refit_with_another_seed_keeps_ids_and_names(refit_data, tmp_path):
    first = refit_data["first"]
    again = _build_again(refit_data, tmp_path, refit_data["old"], "{cluster_seed: 7}")
    history = again.df("select * from cluster_model_history order by fit_sequence")
    assert len(history) == 2, "a different seed is a new version"
    latest = history.iloc[-1]
    assert latest["is_current"] and latest["previous_model_version"] == history.iloc[0]["model_version"]
    assert latest["n_matched_clusters"] == latest["k"] and latest["n_new_clusters"] == 0
    assert latest["ari_vs_previous"] > 0.99
    before, after = _labels(first), _labels(again)
    assert before.index.equals(after.sort_index().index) or set(before.index) == set(after.index)
    assert (before.sort_index() == after.reindex(before.sort_index().index)).mean() > 0.99
    assert _names(again) == _names(first)


def test_refit_after_ten_percent_new_customers_keeps_old_customers_ids(refit_data, tmp_path):
    first = refit_data["first"]
    again = _build_again(refit_data, tmp_path, refit_data["full"])
    before, after = _labels(first), _labels(again)
    old_people = before.index.intersection(after.index)
    new_people = after.index.difference(before.index)
    assert len(old_people) >= 0.97 * len(before)  # the old people are all still there
    assert 0.07 * len(old_people) <= len(new_people) <= 0.13 * len(old_people)  # ~10% new
    kept = float((before[old_people] == after[old_people]).mean())
    assert kept >= 0.95, f"only {kept:.3f} of old customers kept their cluster id"
    latest = again.df("select * from cluster_model_history where is_current").iloc[0]
    assert latest["fit_sequence"] == 2 and latest["n_vanished_clusters"] == 0
    assert latest["share_changed_vs_previous"] <= 0.05
    version = latest["model_version"]
    matches = again.df(f"select * from cluster_id_matches where model_version = '{version}'")
    assert set(matches["match_status"]) == {"matched"}
    # the names follow the ids
    assert _names(again) == _names(first)


def test_scoring_without_refit_reproduces_the_fitted_labels(refit_data, tmp_path):
    first = refit_data["first"]
    again = _build_again(refit_data, tmp_path, refit_data["old"], "{cluster_refit: false, cluster_seed: 7}")
    assert again.query("select count(*) from cluster_model_history") == [(1,)], "nothing refitted"
    assert _labels(again).sort_index().equals(_labels(first).sort_index())
    drift = again.df("select * from cluster_drift")
    assert not drift["is_refit_due"].any()
    assert drift.loc[drift["metric"] == "psi", "value"].max() < 1e-9  # the same people as at fit time
    ratio = drift.loc[drift["metric"] == "mean_squared_distance_ratio", "value"].iloc[0]
    assert abs(ratio - 1) < 1e-9


def test_scoring_without_refit_scores_new_customers_and_drift_says_when_to_refit(refit_data, tmp_path):
    first = refit_data["first"]
    again = _build_again(refit_data, tmp_path, refit_data["full"], "{cluster_refit: false}")
    assert again.query("select count(*) from cluster_model_history") == [(1,)]
    before, after = _labels(first), _labels(again)
    assert len(after) > len(before) * 1.07  # the new customers are scored too
    version = first.query("select distinct model_version from customer_clusters")
    assert again.query("select distinct model_version from customer_clusters") == version
    drift = again.df("select * from cluster_drift")
    assert drift.loc[drift["metric"] == "psi", "value"].max() < 0.05  # 10% more of the same kind
    assert not drift["is_refit_due"].any()
    steady = run_dbt(
        ["build", *SELECT, "--vars", "{cluster_refit: auto}"], refit_data["full"], again.db_path, tmp_path
    )
    assert steady.returncode == 0, steady.output[-6000:]
    assert steady.query("select count(*) from cluster_model_history") == [(1,)], "auto: no drift, no refit"

    # A year later without a refit: recency and tenure have shifted for everybody.
    as_of = first.query("select max(as_of_date) from int_as_of_date")[0][0]
    later = pd.Timestamp(as_of) + pd.Timedelta(days=365)
    (tmp_path / "later").mkdir()
    shifted = run_dbt(
        ["build", *SELECT, "--vars", f"{{cluster_refit: false, as_of_date: '{later.date()}'}}"],
        refit_data["full"],
        again.db_path,
        tmp_path / "later",
    )
    assert shifted.returncode == 0, shifted.output[-6000:]
    assert re.search(r"WARN \d+ cluster_drift_no_refit_due", shifted.output), shifted.output[-3000:]
    drift = shifted.df("select * from cluster_drift where is_refit_due")
    assert "recency_days" in set(drift["feature"]), drift

    # cluster_refit: auto reads the same figures in cluster_fit and refits now (not before).
    (tmp_path / "auto").mkdir()
    auto = run_dbt(
        ["build", *SELECT, "--vars", f"{{cluster_refit: auto, as_of_date: '{later.date()}'}}"],
        refit_data["full"],
        again.db_path,
        tmp_path / "auto",
    )
    assert auto.returncode == 0, auto.output[-6000:]
    assert auto.query("select count(*) from cluster_model_history") == [(2,)]
