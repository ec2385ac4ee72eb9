"""CLV and churn jobs on degenerate data, and the churn features left out for lack of information.

The jobs (audience.clv_job, audience.churn_job) sit behind the dbt Python models: on data that
cannot support a model they must publish no score rows (so no null score reaches a not-null
test) and a status a person can read, never a traceback.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audience import churn_features, churn_job, clv_job

FEATURES = ["recency_days", "order_count", "sessions_90d", "email_open_rate", "days_since_last_visit"]
CONFIG = churn_job.ChurnConfig(features=tuple(FEATURES))


def examples(n: int, seed: int, *, sample_sets=("train", "valid", "current")) -> pd.DataFrame:
    """Churn examples like int_churn_examples on data without web or email sources."""
    rng = np.random.default_rng(seed)
    parts = []
    for sample_set in sample_sets:
        recency = rng.integers(0, 400, n).astype(float)
        orders = 1 + rng.poisson(2.0, n)
        churned = (rng.random(n) < 1 / (1 + np.exp(-(recency - 150) / 60))).astype(float)
        parts.append(
            pd.DataFrame(
                {
                    "sample_set": sample_set,
                    "cutoff_date": pd.Timestamp("2025-06-01"),
                    "recency_days": recency,
                    "order_count": orders.astype(float),
                    "sessions_90d": 0.0,  # no web events: 0 for everybody
                    "email_open_rate": 0.0,  # no email events
                    "days_since_last_visit": np.nan,  # never visited
                    "churned": np.nan if sample_set == "current" else churned,
                    "person_id": [f"p{i}" for i in range(n)],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def summary(rows: list[tuple[str, int, float, float, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["person_id", "frequency", "recency_weeks", "t_weeks", "monetary_value"]
    )


# ---------------------------------------------------------------- uninformative features


def test_uninformative_rules_and_reasons() -> None:
    n = 1000
    frame = pd.DataFrame(
        {
            "useful": np.arange(n, dtype=float),
            "constant": 0.0,
            "mostly_null": [1.0 if i < 40 else np.nan for i in range(n)],  # 96 % null
            "dominated": [5.0 if i < 995 else float(i) for i in range(n)],  # one value 99.5 %
            "just_enough": [5.0 if i < 980 else float(i) for i in range(n)],  # 98 %: kept
            "half_null": [float(i % 7) if i % 2 else np.nan for i in range(n)],  # 50 % null: kept
        }
    )
    found = {e.feature: e.reason for e in churn_features.uninformative(frame, list(frame.columns))}
    assert found == {"constant": "constant", "mostly_null": "mostly_null", "dominated": "one_value_dominates"}
    assert {e.reason for e in churn_features.uninformative(frame.iloc[0:0], ["useful"])} == {"no_rows"}


def test_churn_fit_leaves_out_features_without_information_and_reports_them() -> None:
    frame = examples(400, seed=1)
    _, diagnostics = churn_job.compare(frame, CONFIG)
    assert diagnostics["fitted"], diagnostics["fit_status"]
    excluded = {e.feature: e.reason for e in diagnostics["uninformative_features"]}
    assert excluded == {
        "sessions_90d": "constant",
        "email_open_rate": "constant",
        "days_since_last_visit": "mostly_null",
    }
    assert diagnostics["features_used"] == ["recency_days", "order_count"]
    artifacts = churn_job.fit_churn_artifacts(frame, CONFIG)
    rows = artifacts[artifacts["artifact"] == "uninformative_feature"]
    assert dict(zip(rows["feature"], rows["metric"], strict=True)) == excluded
    scores = churn_job.score_from_fit(frame, artifacts, CONFIG)
    assert len(scores) == 400
    drivers = " ".join(scores["churn_top_features"])
    assert not any(feature in drivers for feature in excluded)


# ---------------------------------------------------------------- churn on degenerate data


@pytest.mark.parametrize(
    "case",
    ["empty", "one_customer", "one_day", "single_class"],
)
def test_churn_not_fitted_publishes_no_scores_and_says_why(case: str) -> None:
    if case == "empty":
        frame = examples(5, seed=2).iloc[0:0]
    elif case == "one_customer":
        frame = examples(1, seed=2)
    elif case == "one_day":  # all orders on the as-of date: nobody bought before the cutoffs
        frame = examples(50, seed=2, sample_sets=("current",))
    else:
        frame = examples(200, seed=2)
        frame.loc[frame["sample_set"] != "current", "churned"] = 1.0
    artifacts = churn_job.fit_churn_artifacts(frame, CONFIG)
    scores = churn_job.score_from_fit(frame, artifacts, CONFIG)
    _, diagnostics = churn_job.compare(frame, CONFIG)
    assert scores.empty and list(scores.columns) == [
        "person_id",
        "churn_probability",
        "churn_model",
        "churn_top_features",
    ]
    assert not diagnostics["fitted"]
    assert diagnostics["fit_status"].startswith("not fitted: ")
    if case in ("empty", "one_day"):
        assert "no labelled rows" in diagnostics["fit_status"]
    status = artifacts[(artifacts["artifact"] == "status") & (artifacts["metric"] == "fitted")]
    assert status["value"].tolist() == [0.0]
    assert status["text_value"].iloc[0] == diagnostics["fit_status"]


def test_churn_scores_are_never_null_when_published() -> None:
    frame = examples(300, seed=3)
    scores = churn_job.score_from_fit(frame, churn_job.fit_churn_artifacts(frame, CONFIG), CONFIG)
    assert len(scores) == 300 and scores["churn_probability"].between(0, 1).all()


# ---------------------------------------------------------------- CLV on degenerate data


@pytest.mark.parametrize(
    ("case", "rows", "why"),
    [
        ("empty", [], "no buyers"),
        ("one_customer_one_order", [("p1", 0, 0.0, 10.0, None)], "no repeat purchases"),
        ("one_day", [(f"p{i}", 0, 0.0, 0.0, None) for i in range(30)], "no repeat purchases"),
        (
            "one_time_buyers",
            [(f"p{i}", 0, 0.0, float(i + 1), None) for i in range(30)],
            "no repeat purchases",
        ),
    ],
)
def test_clv_not_fitted_publishes_no_scores_and_says_why(case: str, rows: list, why: str) -> None:
    config = clv_job.ClvConfig()
    frame = summary(rows)
    scores, diagnostics = clv_job.score_customers(frame, config)
    assert scores.empty and list(scores.columns)[:2] == ["person_id", "p_alive"]
    assert not diagnostics["fitted"]
    assert diagnostics["fit_status"].startswith("not fitted: ") and why in diagnostics["fit_status"]
    calibration = frame.assign(holdout_purchases=0, holdout_weeks=26.0)
    artifacts = clv_job.fit_clv_artifacts(frame, calibration, config)
    status = artifacts[artifacts["artifact"] == "status"].set_index("metric")
    assert status.loc["fitted", "value"] == 0.0
    assert status.loc["holdout_checked", "value"] == 0.0
    assert status.loc["holdout_checked", "text_value"].startswith("skipped: ")


def test_clv_fitted_on_repeat_buyers_scores_everybody() -> None:
    rng = np.random.default_rng(4)
    n = 300
    t = rng.uniform(10, 100, n)
    freq = rng.poisson(2.0, n)
    rec = np.where(freq > 0, t * rng.uniform(0.2, 1.0, n), 0.0)
    frame = pd.DataFrame(
        {
            "person_id": [f"p{i}" for i in range(n)],
            "frequency": freq,
            "recency_weeks": rec,
            "t_weeks": t,
            "monetary_value": np.where(freq > 0, rng.lognormal(3.5, 0.4, n), np.nan),
        }
    )
    scores, diagnostics = clv_job.score_customers(frame, clv_job.ClvConfig())
    assert diagnostics["fitted"], diagnostics["fit_status"]
    assert len(scores) == n and scores[["p_alive", "clv"]].notna().all().all()
    # BG/NBD: every one-time buyer is "alive" with probability 1 (why likely_to_return needs repeat buyers)
    merged = frame.merge(scores, on="person_id")
    assert np.allclose(merged.loc[merged["frequency"] == 0, "p_alive"], 1.0)
