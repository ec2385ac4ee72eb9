"""Predictive segments and model-quality gates on real-export shapes, end to end (`dbt build`).

- A small shop where most people bought once and there are no web or email files: BG/NBD gives
  every one-time buyer P(alive) = 1, the churn features from web and email carry nothing. The
  predictive segments must still agree with their scores, the empty features must be left out
  of the churn fit and reported, and a model that fails its gate must be named in the reason.
- All orders on one day: no holdout, no churn cutoffs. CLV and churn say they were not fitted,
  publish no scores and the build passes.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from .conftest import DbtRun, generate, run_dbt, run_dbt_ok

SELECT = [
    "--select",
    "+predictive_segment_members",
    "+churn_uninformative_features",
    "--indirect-selection",
    "cautious",
]
#: Forces the churn AUC gate to fail on any real fit, to see how a failing gate is published.
FAILING_CHURN_GATE = {"churn_gate_min_auc": 0.999}
CANCELLED_ONLY = "C00000004"


def _orders_only(src: Path, dst: Path) -> list[dict]:
    """customers.csv and orders.csv of a generated folder, no web / email / survey / consent files."""
    dst.mkdir(parents=True)
    shutil.copy(src / "customers.csv", dst / "customers.csv")
    with open(src / "orders.csv", newline="") as f:
        return list(csv.DictReader(f))


def _write_orders(dst: Path, rows: list[dict]) -> None:
    with open(dst / "orders.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


def _results(run: DbtRun) -> dict[str, str]:
    results = json.loads((run.target_dir / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[-1 if r["unique_id"].startswith("model") else 2]: r["status"]
        for r in results
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("predictive_gen") / "raw"
    generate(raw, n_customers=300, seed=1, mess_rate=0.0)
    return raw


@pytest.fixture(scope="module")
def one_time_build(generated, tmp_path_factory) -> DbtRun:
    """70 % of the customers keep only their first order; one customer's only order is cancelled."""
    work = tmp_path_factory.mktemp("predictive_one_time")
    raw = work / "raw"
    rows = sorted(_orders_only(generated, raw), key=lambda r: r["ordered_at"])
    seen: set[str] = set()
    kept = []
    for row in rows:
        customer = row["customer_id"]
        if customer == CANCELLED_ONLY:
            if customer in seen:
                continue
            row = {**row, "status": "cancelled"}
        elif int(customer[1:]) % 10 < 7 and customer in seen:
            continue
        seen.add(customer)
        kept.append(row)
    _write_orders(raw, kept)
    vars_arg = json.dumps(FAILING_CHURN_GATE)
    return run_dbt_ok(
        "dbt build on one-time buyers without web/email files",
        ["build", *SELECT, "--vars", vars_arg],
        raw,
        work / "audience.duckdb",
        work,
    )


@pytest.fixture(scope="module")
def one_day_build(generated, tmp_path_factory) -> DbtRun:
    work = tmp_path_factory.mktemp("predictive_one_day")
    raw = work / "raw"
    rows = _orders_only(generated, raw)
    _write_orders(raw, [{**r, "ordered_at": "2025-06-01 " + r["ordered_at"][11:]} for r in rows])
    return run_dbt_ok(
        "dbt build with all orders on one day", ["build", *SELECT], raw, work / "audience.duckdb", work
    )


def test_data_really_saturates_p_alive(one_time_build) -> None:
    """The shape reproduces the problem: most buyers bought once (P(alive) = 1), and the old
    rule (P(alive) >= 0.7, no order for 90 days) picks people likelier to churn than average."""
    one_time, buyers = one_time_build.query(
        "select count(*) filter (where clv_frequency = 0 and p_alive = 1), count(*) from customer_scores"
    )[0]
    assert one_time / buyers > 0.6
    old_rule, population = one_time_build.query(
        """
        select
            (select avg(s.churn_probability) from customer_scores as s
             join customer_profiles as p using (person_id) where s.p_alive >= 0.7 and p.recency_days > 90),
            (select avg(churn_probability) from customer_scores)
        """
    )[0]
    assert old_rule > population


def test_predictive_segments_agree_with_their_scores(one_time_build) -> None:
    assert _results(one_time_build)["predictive_segments_agree_with_their_scores"] == "pass"
    rows = one_time_build.query(
        """
        select m.segment_name, avg(s.churn_probability), avg(s.clv), count(*),
               count(*) filter (where s.clv_frequency = 0)
        from predictive_segment_members as m join customer_scores as s using (person_id)
        group by m.segment_name
        """
    )
    churn_avg, clv_avg = one_time_build.query("select avg(churn_probability), avg(clv) from customer_scores")[
        0
    ]
    by_segment = {r[0]: r[1:] for r in rows}
    assert set(by_segment) == {"high_clv_low_churn", "at_risk_high_value", "likely_to_return"}
    assert by_segment["likely_to_return"][0] < churn_avg
    assert by_segment["likely_to_return"][3] == 0  # no one-time buyer: their P(alive) says nothing
    assert by_segment["at_risk_high_value"][0] > churn_avg and by_segment["at_risk_high_value"][1] > clv_avg
    assert by_segment["high_clv_low_churn"][0] < churn_avg and by_segment["high_clv_low_churn"][1] > clv_avg


def test_cancelled_only_customer_is_not_scored(one_time_build) -> None:
    rows = one_time_build.query(
        f"""
        select count(*) from customer_scores
        where person_id in (select person_id from int_identities_stitched
                            where identifier_type = 'customer_id' and identifier = '{CANCELLED_ONLY}')
        """
    )
    assert rows == [(0,)]


def test_failing_gate_is_in_the_table_and_every_reason(one_time_build) -> None:
    gates = {
        (m, g): (s, d)
        for m, g, s, d in one_time_build.query(
            "select model_name, gate, status, detail from model_quality_gates"
        )
    }
    assert gates[("churn", "auc")][0] == "fail"
    assert gates[("churn", "fitted")][0] == "pass" and gates[("clv", "fitted")][0] == "pass"
    assert _results(one_time_build)["predictive_models_pass_their_quality_gates"] == "warn"
    reasons = [r[0] for r in one_time_build.query("select reason from predictive_segment_members")]
    assert reasons
    assert all(r.startswith("model gate not passed: churn auc fail (validation AUC of ") for r in reasons)


def test_gate_with_severity_error_stops_the_build(one_time_build) -> None:
    vars_arg = json.dumps({**FAILING_CHURN_GATE, "model_gate_severity": "error"})
    work = one_time_build.db_path.parent / "severity_error"
    work.mkdir()
    run = run_dbt(
        ["test", "--select", "model_quality_gates", "--vars", vars_arg],
        one_time_build.raw_dir,
        one_time_build.db_path,
        work,
    )
    assert run.returncode != 0
    assert _results(run)["predictive_models_pass_their_quality_gates"] == "fail"


def test_churn_features_without_data_are_left_out_and_reported(one_time_build) -> None:
    reported = dict(one_time_build.query("select feature, reason from churn_uninformative_features"))
    for feature in (
        "sessions_30d",
        "sessions_90d",
        "product_views_90d",
        "email_open_rate",
        "email_click_rate",
    ):
        assert reported.get(feature) == "constant", feature
    assert reported.get("days_since_last_visit") == "mostly_null"
    assert "recency_days" not in reported
    drivers = " ".join(r[0] for r in one_time_build.query("select churn_top_features from customer_scores"))
    assert not any(f in drivers for f in reported)


def test_all_orders_on_one_day_builds_and_says_why_nothing_was_fitted(one_day_build) -> None:
    gates = one_day_build.query("select model_name, gate, status, detail from model_quality_gates")
    assert {s for _, _, s, _ in gates} == {"not_fitted"}
    detail = {(m, g): d for m, g, _, d in gates}
    assert "no repeat purchases" in detail[("clv", "fitted")]
    # the as-of date follows every dated source, so the cutoffs may fall after the one order
    # day: then everybody is labelled and churned (one class), else nobody is labelled
    assert any(why in detail[("churn", "fitted")] for why in ("no labelled rows", "single_class"))
    for table in (
        "customer_clv_scores",
        "customer_churn_scores",
        "customer_scores",
        "predictive_segment_members",
    ):
        assert one_day_build.query(f"select count(*) from {table}") == [(0,)], table
    assert _results(one_day_build)["predictive_models_pass_their_quality_gates"] == "warn"
    assert "Traceback" not in one_day_build.output
