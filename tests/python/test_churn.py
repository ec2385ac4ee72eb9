"""Tests for audience.churn on simulated customers.

The simulation makes churn depend on recency *and* on a hidden "lapsing" state that shows in web
and email activity (few sessions, old last visit, low open rate) and on frequency, so a model
that sees all features must beat the recency-only baseline.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from audience.churn import (
    BASE_RATE,
    DEFAULT_FEATURES,
    HGB,
    LEARNED_MODELS,
    LOGISTIC,
    METRIC_COLUMNS,
    RECENCY_BASELINE,
    ChurnSettings,
    SkewedLog1p,
    churn_pipeline,
    compare_models,
    feature_contributions,
    fit_final_and_score,
    score_metrics,
    top_decile_lift,
)

FEATURES = list(DEFAULT_FEATURES)


def simulate(n: int, seed: int) -> pd.DataFrame:
    """One feature row per customer plus the ``churned`` label."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(120, 1500, n).astype(float)
    rate = rng.gamma(1.5, 1.0, n) * 4.0  # orders per year while active
    frequency = 1 + rng.poisson(rate * tenure / 365.0)
    lapsing = rng.random(n) < 0.35  # hidden state: the customer is drifting away
    gap = rng.exponential(365.0 / np.maximum(rate, 0.2))
    recency = np.minimum(np.floor(gap * np.where(lapsing, 1.3, 1.0)), tenure)
    sessions_90d = rng.poisson(np.where(lapsing, 0.4, 3.0 + 0.4 * rate))
    sessions_30d = rng.binomial(sessions_90d, np.where(lapsing, 0.15, 0.4))
    last_visit = np.where(sessions_90d > 0, rng.integers(0, 90, n), 90 + rng.exponential(120.0, n))
    open_rate = rng.beta(np.where(lapsing, 1.0, 3.0), 4.0)
    logit = (
        -1.4 + 0.75 * (np.log1p(recency) - 4.0) + 2.6 * lapsing - 0.35 * (np.log(frequency) - 2.0)
    )
    churned = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame(
        {
            "person_id": [f"s{seed}-{i}" for i in range(n)],
            "recency_days": recency,
            "frequency": frequency,
            "monetary": (frequency * rng.lognormal(3.8, 0.6, n)).round(2),
            "tenure_days": tenure,
            "sessions_30d": sessions_30d,
            "sessions_90d": sessions_90d,
            "days_since_last_visit": last_visit.round(),
            "email_open_rate": open_rate,
            "email_click_rate": open_rate * rng.beta(1.0, 5.0, n),
            "cart_abandonments_90d": rng.poisson(np.where(lapsing, 0.2, 0.8)),
            "discount_share": rng.beta(1.0, 4.0, n),
            "churned": churned,
        }
    )


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    train = simulate(3000, seed=11)
    valid = simulate(3000, seed=12)
    current = simulate(2000, seed=13).drop(columns="churned")
    return train, valid, current


@pytest.fixture(scope="module")
def run(frames):
    train, valid, current = frames
    return churn_pipeline(train, valid, current, FEATURES, seed=0)


# ------------------------------------------------------------------------------------------
# lift and metrics
# ------------------------------------------------------------------------------------------


def test_top_decile_lift_hand_example() -> None:
    # 20 customers, 4 churners: base rate 0.2. Top 10% = the 2 highest scores, 1 churner among
    # them: rate 0.5, lift 0.5 / 0.2 = 2.5.
    y = np.zeros(20)
    y[[0, 5, 9, 17]] = 1
    score = np.linspace(0.0, 1.0, 20)[::-1]  # row 0 highest, row 1 second
    assert top_decile_lift(y, score) == pytest.approx(2.5)
    # Row order does not matter.
    perm = np.random.default_rng(0).permutation(20)
    assert top_decile_lift(y[perm], score[perm]) == pytest.approx(2.5)


def test_top_decile_lift_shares_ties_fairly() -> None:
    # k = ceil(0.2 * 10) = 2. Score 0.9 (a churner) is in; one of the three rows tied at 0.5
    # (one churner) fills the last place: expected churners 1 + 1/3 over 2 places, rate 2/3;
    # base rate 3/10; lift (2/3) / 0.3 = 20/9.
    y = [1, 1, 0, 0, 0, 1, 0, 0, 0, 0]
    s = [0.9, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    assert top_decile_lift(y, s, fraction=0.2) == pytest.approx(20 / 9)
    # All scores equal: the top group is an average customer.
    assert top_decile_lift(y, np.ones(10)) == pytest.approx(1.0)
    # Undefined cases are NaN, not errors.
    assert math.isnan(top_decile_lift([0, 0, 0], [0.1, 0.2, 0.3]))
    assert math.isnan(top_decile_lift([], []))


def test_score_metrics_single_class_is_nan_not_error() -> None:
    m = score_metrics([1, 1, 1], [0.2, 0.5, 0.9])
    assert math.isnan(m["auc"]) and math.isnan(m["pr_auc"])
    assert m["brier"] == pytest.approx(np.mean([0.8**2, 0.5**2, 0.1**2]))


def test_skewed_log1p_only_touches_skewed_non_negative_columns() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.lognormal(0, 1.5, 500), rng.normal(0, 1, 500), rng.uniform(0, 1, 500)])
    t = SkewedLog1p(skew_threshold=1.0).fit(x)
    assert t.log_mask_.tolist() == [True, False, False]
    out = t.transform(x)
    np.testing.assert_allclose(out[:, 0], np.log1p(x[:, 0]))
    np.testing.assert_array_equal(out[:, 1:], x[:, 1:])
    assert np.isfinite(t.transform(np.array([[-5.0, 0.0, 0.0]]))).all()


# ------------------------------------------------------------------------------------------
# the main path
# ------------------------------------------------------------------------------------------


def test_models_beat_recency_baseline(run) -> None:
    _, metrics, diagnostics = run
    auc = metrics.set_index("model")["auc"]
    best = diagnostics["selected_model"]
    assert best in LEARNED_MODELS
    assert auc[best] > 0.7
    assert auc[best] > auc[RECENCY_BASELINE] + 0.03
    for name in LEARNED_MODELS:
        assert auc[name] > auc[RECENCY_BASELINE] + 0.03
    assert diagnostics["compare"]["baseline_slope"] > 0  # longer since purchase -> more churn
    assert "selected_not_better_than_baseline" not in diagnostics["flags"]


def test_metrics_are_well_formed(frames, run) -> None:
    train, valid, _ = frames
    _, metrics, _ = run
    assert list(metrics.columns) == list(METRIC_COLUMNS)
    assert metrics["model"].tolist() == [LOGISTIC, HGB, RECENCY_BASELINE]
    assert metrics[["auc", "pr_auc"]].stack().between(0, 1).all()
    assert metrics["brier"].between(0, 0.25).all()  # better than a coin at 0.5
    base_rate = valid["churned"].mean()
    assert metrics["base_rate"].eq(base_rate).all()
    assert metrics["top_decile_lift"].between(1.0, 1.0 / base_rate).all()
    assert (metrics["pr_auc"] > base_rate).all()
    assert metrics["n_train"].eq(len(train)).all()
    assert metrics["n_valid"].eq(len(valid)).all()
    assert metrics["status"].eq("ok").all()
    assert metrics["is_selected"].sum() == 1


def test_selection_rule_is_best_valid_auc(run) -> None:
    _, metrics, diagnostics = run
    learned = metrics[metrics["model"].isin(LEARNED_MODELS)]
    expected = learned.sort_values("auc", ascending=False, kind="stable")["model"].iloc[0]
    assert diagnostics["selected_model"] == expected
    assert metrics.loc[metrics["is_selected"], "model"].item() == expected


def test_scores_cover_current_and_are_probabilities(frames, run) -> None:
    _, _, current = frames
    scores, _, diagnostics = run
    assert list(scores.columns) == ["person_id", "churn_probability", "churn_model"]
    assert scores["person_id"].tolist() == current["person_id"].tolist()
    p = scores["churn_probability"]
    assert p.notna().all() and p.between(0, 1).all()
    assert p.std() > 0.1  # a real ranking, not a constant
    assert (scores["churn_model"] == diagnostics["method"]).all()
    assert diagnostics["method"] == diagnostics["selected_model"]
    assert diagnostics["fallback"] is False
    assert diagnostics["final"]["n_fit"] == 6000  # train + valid


def test_compare_models_matches_pipeline(frames, run) -> None:
    train, valid, _ = frames
    metrics, best = compare_models(train, valid, FEATURES, seed=0)
    pd.testing.assert_frame_equal(metrics, run[1])
    assert best == run[2]["selected_model"]


def test_deterministic_for_a_seed() -> None:
    train, valid = simulate(1500, 21), simulate(1500, 22)
    current = simulate(500, 23).drop(columns="churned")
    for name in LEARNED_MODELS:
        a, _ = fit_final_and_score(train, valid, current, FEATURES, name, seed=3)
        b, _ = fit_final_and_score(train, valid, current, FEATURES, name, seed=3)
        pd.testing.assert_frame_equal(a, b)
    m1, best1 = compare_models(train, valid, FEATURES, seed=3)
    m2, best2 = compare_models(train, valid, FEATURES, seed=3)
    pd.testing.assert_frame_equal(m1, m2)
    assert best1 == best2


def test_training_sample_is_capped_and_stratified(frames) -> None:
    train, valid, current = frames
    settings = ChurnSettings(max_train_rows=600)
    scores, metrics, diagnostics = churn_pipeline(
        train, valid, current, FEATURES, seed=0, settings=settings
    )
    assert diagnostics["compare"]["n_train_fit"] == pytest.approx(600, abs=1)
    assert diagnostics["final"]["n_fit"] == pytest.approx(600, abs=1)
    assert "train_sampled" in diagnostics["flags"]
    rate = diagnostics["compare"]["train_base_rate"]
    assert rate == pytest.approx(train["churned"].mean(), abs=0.002)
    assert scores["churn_probability"].between(0, 1).all()
    assert metrics.loc[metrics["is_selected"], "auc"].item() > 0.7


# ------------------------------------------------------------------------------------------
# edge cases: never raise, always flag
# ------------------------------------------------------------------------------------------


def test_single_class_train_returns_base_rate(frames) -> None:
    train, valid, current = frames
    train = train.assign(churned=False)
    valid = valid.assign(churned=False)
    scores, metrics, diagnostics = churn_pipeline(train, valid, current, FEATURES)
    assert diagnostics["selected_model"] == BASE_RATE
    assert diagnostics["method"] == BASE_RATE
    assert diagnostics["fallback"] is True
    assert "single_class" in diagnostics["flags"]
    assert (scores["churn_probability"] == 0.0).all()
    assert (scores["churn_model"] == BASE_RATE).all()
    assert metrics["auc"].isna().all()
    assert metrics["status"].str.startswith("not_fitted").all()


def test_single_class_valid_still_selects_a_model(frames) -> None:
    train, valid, current = frames
    valid = valid.assign(churned=True)
    scores, metrics, diagnostics = churn_pipeline(train, valid, current, FEATURES)
    assert diagnostics["selected_model"] == LOGISTIC
    assert "selection_without_valid_auc" in diagnostics["flags"]
    assert metrics["auc"].isna().all()
    assert scores["churn_probability"].between(0, 1).all()


def test_all_null_feature_is_dropped(frames) -> None:
    train, valid, current = frames
    train = train.assign(email_open_rate=np.nan, email_click_rate=None)
    valid = valid.assign(email_open_rate=np.nan, email_click_rate=None)
    scores, metrics, diagnostics = churn_pipeline(train, valid, current, FEATURES)
    assert "all_null_features" in diagnostics["flags"]
    dropped = {"email_open_rate", "email_click_rate"}
    assert set(diagnostics["final"]["all_null_features"]) == dropped
    assert not dropped & set(diagnostics["compare"]["features_used"])
    assert not dropped & set(diagnostics["final"]["features_used"])
    assert scores["churn_probability"].between(0, 1).all()
    assert metrics.loc[metrics["is_selected"], "auc"].item() > 0.7


def test_missing_feature_columns(frames) -> None:
    train, valid, current = frames
    features = [*FEATURES, "no_such_column"]
    current = current.drop(columns=["sessions_90d"])
    scores, _, diagnostics = churn_pipeline(train, valid, current, features)
    assert "missing_features" in diagnostics["flags"]
    assert diagnostics["final"]["missing_features"] == ["no_such_column"]
    if diagnostics["method"] in LEARNED_MODELS:
        assert "features_missing_in_current" in diagnostics["flags"]
        assert diagnostics["final"]["features_missing_in_current"] == ["sessions_90d"]
    p = scores["churn_probability"]
    assert p.notna().all() and p.between(0, 1).all()


def test_transactions_only_data(frames) -> None:
    train, valid, current = frames
    rfm = ["person_id", "recency_days", "frequency", "monetary", "tenure_days"]
    scores, metrics, diagnostics = churn_pipeline(
        train[[*rfm, "churned"]], valid[[*rfm, "churned"]], current[rfm], FEATURES
    )
    assert diagnostics["method"] in LEARNED_MODELS
    assert set(diagnostics["final"]["features_used"]) == set(rfm) - {"person_id"}
    assert scores["churn_probability"].between(0, 1).all()
    assert metrics["auc"].notna().all()


def test_tiny_data_falls_back_to_recency_baseline(frames) -> None:
    train, valid, current = frames
    scores, _, diagnostics = churn_pipeline(train.head(20), valid.head(20), current, FEATURES)
    assert diagnostics["selected_model"] == RECENCY_BASELINE
    assert diagnostics["method"] == RECENCY_BASELINE
    assert diagnostics["fallback"] is True
    assert "tiny_data" in diagnostics["flags"]
    assert (scores["churn_model"] == RECENCY_BASELINE).all()
    p = scores["churn_probability"]
    assert p.notna().all() and p.between(0, 1).all()
    # The baseline ranks by recency.
    order = np.argsort(current["recency_days"].to_numpy(), kind="stable")
    assert np.all(np.diff(p.to_numpy()[order]) >= -1e-12)


def test_tiny_data_without_recency_uses_base_rate(frames) -> None:
    train, valid, current = frames
    cols = ["person_id", "frequency", "churned"]
    small_train, small_valid = train[cols].head(15), valid[cols].head(15)
    scores, diagnostics = fit_final_and_score(
        small_train, small_valid, current, FEATURES, LOGISTIC, seed=0
    )
    assert diagnostics["method"] == BASE_RATE
    assert "tiny_data" in diagnostics["flags"]
    assert "baseline_column_missing" in diagnostics["flags"]
    expected = pd.concat([small_train, small_valid])["churned"].mean()
    assert scores["churn_probability"].eq(expected).all()


def test_no_labels_and_empty_frames_do_not_raise(frames) -> None:
    _, _, current = frames
    empty = pd.DataFrame({"person_id": [], "recency_days": [], "churned": []})
    scores, metrics, diagnostics = churn_pipeline(empty, empty, current, FEATURES)
    assert diagnostics["method"] == BASE_RATE
    assert "no_labels" in diagnostics["flags"]
    assert len(scores) == len(current)
    assert scores["churn_probability"].isna().all()  # nothing to learn from
    assert len(metrics) == 3
    no_current, _ = fit_final_and_score(empty, empty, current.head(0), FEATURES, LOGISTIC)
    assert no_current.empty
    assert list(no_current.columns) == ["person_id", "churn_probability", "churn_model"]


def test_nullable_dtypes_and_null_labels(frames) -> None:
    train, valid, current = frames
    train = train.head(1000).copy()
    train["sessions_90d"] = train["sessions_90d"].astype("Int64")
    train.loc[train.index[:50], "sessions_90d"] = pd.NA
    train["churned"] = train["churned"].astype("boolean")
    train.loc[train.index[:10], "churned"] = pd.NA
    train["frequency"] = train["frequency"].astype(str)  # text numbers are parsed
    metrics, best = compare_models(train, valid, FEATURES)
    assert best in LEARNED_MODELS
    assert metrics["n_train"].eq(990).all()
    scores, diagnostics = fit_final_and_score(train, valid, current, FEATURES, best)
    assert "unlabelled_rows_dropped" in diagnostics["flags"]
    assert scores["churn_probability"].between(0, 1).all()


def test_label_and_id_are_never_features(frames) -> None:
    train, valid, _ = frames
    metrics, _ = compare_models(train, valid, [*FEATURES, "churned", "person_id"])
    assert metrics.loc[metrics["is_selected"], "auc"].item() < 0.99  # no label leakage


def test_unknown_model_name_raises(frames) -> None:
    train, valid, current = frames
    with pytest.raises(ValueError, match="unknown model"):
        fit_final_and_score(train, valid, current, FEATURES, "random_forest")


def test_missing_id_column_uses_the_index(frames) -> None:
    train, valid, current = frames
    current = current.drop(columns="person_id").set_index(pd.Index(range(100, 2100)))
    scores, diagnostics = fit_final_and_score(train, valid, current, FEATURES, LOGISTIC)
    assert "id_column_missing" in diagnostics["flags"]
    assert scores["person_id"].tolist() == list(range(100, 2100))
    assert scores["churn_probability"].between(0, 1).all()


def test_feature_contributions_predict_only_rows_away_from_the_baseline():
    """Rows already at the baseline value of a feature are not predicted again; the
    contributions equal the naive definition (every row predicted with the feature replaced)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4))
    X[:150, 1] = 0.0  # a count-like feature mostly at its median
    X[:, 3] = np.nan  # a feature missing everywhere, baseline missing too
    baseline = np.array([0.1, 0.0, -0.2, np.nan])
    predicted_rows = []

    def predict(A):
        predicted_rows.append(A.shape[0])
        z = 1.5 * A[:, 0] - 0.7 * A[:, 1] + 0.3 * A[:, 0] * A[:, 2] + np.nan_to_num(A[:, 3])
        return 1 / (1 + np.exp(-z))

    contrib = feature_contributions(predict, X, baseline)
    naive = np.empty_like(X)
    base = predict(X)
    for j in range(X.shape[1]):
        Xj = X.copy()
        Xj[:, j] = baseline[j]
        naive[:, j] = base - predict(Xj)
    assert np.array_equal(contrib, naive)
    # one full prediction, then 200 + 50 + 200 rows; nothing for the all-missing feature
    assert predicted_rows[:4] == [200, 200, 50, 200]
    assert np.all(contrib[:150, 1] == 0.0) and np.all(contrib[:, 3] == 0.0)
