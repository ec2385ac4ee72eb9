"""The scoring models score from what the fit models stored: same scores as fitting again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audience import churn, churn_job, clv_job

from .test_scores_degenerate import CONFIG, FEATURES, examples


def clv_summary(n: int, seed: int, *, few_repeat: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.integers(5, 60, n).astype(float)
    freq = rng.poisson(0.03 if few_repeat else 2.0, n)
    rec = np.where(freq > 0, np.floor(t * rng.uniform(0.2, 1.0, n)), 0.0)
    return pd.DataFrame(
        {
            "person_id": [f"p{i:04d}" for i in range(n)],
            "frequency": freq,
            "recency_weeks": rec,
            "t_weeks": t,
            "monetary_value": np.where(freq > 0, rng.lognormal(3.5, 0.4, n).round(2), np.nan),
        }
    )


@pytest.mark.parametrize("few_repeat", [False, True], ids=["gamma_gamma", "mean_spend_fallback"])
def test_clv_scores_from_the_stored_fit_equal_a_fresh_fit(few_repeat: bool) -> None:
    config = clv_job.ClvConfig()
    summary = clv_summary(400, seed=5, few_repeat=few_repeat)
    calibration = summary.assign(holdout_purchases=1, holdout_weeks=26.0)
    fitted, diagnostics = clv_job.score_customers(summary, config)
    assert diagnostics["fitted"]
    assert (diagnostics["gg_status"] == "ok") is not few_repeat
    stored = clv_job.fit_clv_artifacts(summary, calibration, config)
    scored = clv_job.score_from_fit(summary, stored, config)
    pd.testing.assert_frame_equal(
        scored.reset_index(drop=True), fitted.reset_index(drop=True), check_exact=False, rtol=1e-12
    )


def test_clv_scores_from_an_unfitted_model_are_empty() -> None:
    config = clv_job.ClvConfig()
    summary = clv_summary(50, seed=6).assign(frequency=0, recency_weeks=0.0, monetary_value=np.nan)
    stored = clv_job.fit_clv_artifacts(
        summary, summary.assign(holdout_purchases=0, holdout_weeks=26.0), config
    )
    scored = clv_job.score_from_fit(summary, stored, config)
    assert scored.empty
    assert list(scored.columns) == [
        "person_id",
        "p_alive",
        "expected_purchases",
        "expected_avg_order_value",
        "clv",
    ]


def test_churn_scores_from_the_stored_fit_equal_the_whole_pipeline() -> None:
    """Selection in churn_fit, refit and scoring in customer_churn_scores: the same scores as
    comparing, refitting and scoring in one go on the informative features."""
    frame = examples(400, seed=7)
    stored = churn_job.fit_churn_artifacts(frame, CONFIG)
    scored = churn_job.score_from_fit(frame, stored, CONFIG)
    train, valid, current = (
        frame[frame["sample_set"] == s].drop(columns="sample_set") for s in ("train", "valid", "current")
    )
    informative = [f for f in FEATURES if f in ("recency_days", "order_count")]
    expected, _, diagnostics = churn.churn_pipeline(
        train, valid, current, informative, seed=CONFIG.seed, settings=CONFIG.settings, explain=3
    )
    assert diagnostics["method"] in churn.LEARNED_MODELS
    pd.testing.assert_frame_equal(
        scored.sort_values("person_id").reset_index(drop=True),
        expected.sort_values("person_id").reset_index(drop=True),
    )
