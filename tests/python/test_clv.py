"""Tests for audience.clv: BG/NBD + Gamma-Gamma fitting, predictions, CLV and fallbacks.

Recovery tolerances are stated per parameter. They are about 4 standard errors or more of the
maximum-likelihood estimates at n = 20,000 (asymptotic SEs from the observed information at the
true parameters, relative: r 1.5%, alpha 2.5%, a 5.4%, b 7.1%; Gamma-Gamma on ~9,700 repeat
buyers: p 5.3%, q 2.3%, v 7.3%), so the fixed seeds pass with margin.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from audience import clv
from audience.clv import BgNbdParams, GammaGammaParams, bgnbd, bgnbd_predict, scoring

TRUE_BG = BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
TRUE_GG = GammaGammaParams(p=6.0, q=4.0, v=15.0)
N = 20_000
BG_REL_TOL = {"r": 0.10, "alpha": 0.15, "a": 0.20, "b": 0.25}
GG_REL_TOL = {"p": 0.20, "q": 0.10, "v": 0.30}
SEEDS = (11, 23)

_CACHE: dict[int, tuple] = {}


def _simulated_fit(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, clv.FitResult]:
    """Simulate N customers with T ~ U(30, 80) weeks and fit BG/NBD (cached per seed)."""
    if seed not in _CACHE:
        T = np.random.default_rng(seed + 1000).uniform(30.0, 80.0, N)
        x, t_x, T = clv.simulate_bgnbd(N, TRUE_BG.r, TRUE_BG.alpha, TRUE_BG.a, TRUE_BG.b, T, seed=seed)
        _CACHE[seed] = (x, t_x, T, clv.fit_bgnbd(x, t_x, T))
    return _CACHE[seed]


def _rel_err(fitted: object, true: object, names: tuple[str, ...]) -> dict[str, float]:
    return {k: getattr(fitted, k) / getattr(true, k) - 1.0 for k in names}


# ----------------------------------------------------------------------------- simulator


def test_simulator_invariants_and_determinism() -> None:
    T = np.linspace(1.0, 100.0, 5000)
    x, t_x, T_out = clv.simulate_bgnbd(5000, 0.5, 2.0, 1.2, 3.0, T, seed=3)
    assert np.array_equal(T_out, T)
    assert np.all(x >= 0) and np.all(x == np.round(x))
    assert np.all((t_x >= 0) & (t_x <= T))
    assert np.all(t_x[x == 0] == 0) and np.all(t_x[x > 0] > 0)
    x2, t_x2, _ = clv.simulate_bgnbd(5000, 0.5, 2.0, 1.2, 3.0, T, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(t_x, t_x2)

    m = clv.simulate_gamma_gamma(x, 6.0, 4.0, 15.0, seed=1)
    assert np.all(m[x == 0] == 0) and np.all(m[x > 0] > 0)


def test_holdout_simulator_is_consistent_with_single_window() -> None:
    # Calibration part of the holdout simulator has the same law as simulate_bgnbd.
    xc, _, _, xh = clv.simulate_bgnbd_holdout(100_000, 0.25, 4.0, 0.8, 2.5, 40.0, 20.0, seed=5)
    x, _, _ = clv.simulate_bgnbd(100_000, 0.25, 4.0, 0.8, 2.5, 40.0, seed=6)
    se = math.sqrt(x.var() / x.size + xc.var() / xc.size)
    assert abs(x.mean() - xc.mean()) < 4 * se
    assert np.all(xh >= 0)


# ----------------------------------------------------------------------------- BG/NBD fit


@pytest.mark.parametrize("seed", SEEDS)
def test_bgnbd_parameter_recovery(seed: int) -> None:
    *_, fit = _simulated_fit(seed)
    assert fit.converged, fit.message
    assert fit.n_customers == N and fit.n_iterations > 0
    errors = _rel_err(fit.params, TRUE_BG, ("r", "alpha", "a", "b"))
    for name, err in errors.items():
        assert abs(err) < BG_REL_TOL[name], (name, errors)


@pytest.mark.parametrize("seed", SEEDS)
def test_true_params_log_likelihood_close_to_max(seed: int) -> None:
    x, t_x, T, fit = _simulated_fit(seed)
    ll_true = clv.bgnbd_log_likelihood(TRUE_BG, x, t_x, T)
    assert fit.log_likelihood == pytest.approx(clv.bgnbd_log_likelihood(fit.params, x, t_x, T), abs=1e-6)
    gap = fit.log_likelihood - ll_true
    # 2 * gap is asymptotically chi-square(4); its 99.9% quantile is 18.47.
    assert -1e-6 <= gap < 18.47 / 2


def test_log_likelihood_matches_direct_formula() -> None:
    x = np.array([0.0, 1.0, 3.0, 10.0])
    t_x = np.array([0.0, 5.0, 20.0, 29.0])
    T = np.array([10.0, 30.0, 40.0, 30.0])
    r, alpha, a, b = 0.7, 3.0, 1.3, 2.2
    got = clv.bgnbd_log_likelihood_individual(BgNbdParams(r, alpha, a, b), x, t_x, T)
    for i in range(4):
        xi, ti, Ti = x[i], t_x[i], T[i]
        a1 = math.gamma(r + xi) * alpha**r / math.gamma(r)
        a2 = math.gamma(a + b) * math.gamma(b + xi) / (math.gamma(b) * math.gamma(a + b + xi))
        a3 = (1 / (alpha + Ti)) ** (r + xi)
        a4 = (a / (b + xi - 1)) * (1 / (alpha + ti)) ** (r + xi) if xi > 0 else 0.0
        assert got[i] == pytest.approx(math.log(a1 * a2 * (a3 + a4)), rel=1e-12)
    # Large frequencies stay finite (log-space evaluation).
    big = clv.bgnbd_log_likelihood_individual(TRUE_BG, [5000.0], [99.0], [100.0])
    assert np.isfinite(big).all()


def test_objective_gradient_matches_finite_differences() -> None:
    x, t_x, T, _ = _simulated_fit(SEEDS[0])
    obj = bgnbd.BgNbdObjective(x[:3000], t_x[:3000] / 50.0, T[:3000] / 50.0, np.ones(3000))
    theta = np.log([0.4, 0.2, 0.6, 3.0])
    assert optimize.check_grad(lambda th: obj(th)[0], lambda th: obj(th)[1], theta) < 1e-6


def test_weighted_aggregation_gives_same_fit() -> None:
    x, t_x, T, _ = _simulated_fit(SEEDS[0])
    Tw = np.round(T)
    tw = np.minimum(np.round(t_x), Tw)
    tw[x == 0] = 0.0
    full = clv.fit_bgnbd(x, tw, Tw)
    grouped = pd.DataFrame({"x": x, "t": tw, "T": Tw}).groupby(["x", "t", "T"]).size().reset_index(name="n")
    assert len(grouped) < N / 2
    agg = clv.fit_bgnbd(grouped["x"], grouped["t"], grouped["T"], weights=grouped["n"])
    assert agg.n_customers == N
    assert agg.log_likelihood == pytest.approx(full.log_likelihood, abs=1e-5)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(agg.params, name) == pytest.approx(getattr(full.params, name), rel=1e-4)


def test_fit_rejects_invalid_input() -> None:
    with pytest.raises(ValueError):
        clv.fit_bgnbd([1, 2], [5, 50], [10, 20])  # t_x > T
    with pytest.raises(ValueError):
        clv.fit_bgnbd([1.5], [1], [2])  # non-integer frequency
    with pytest.raises(ValueError):
        clv.fit_bgnbd([], [], [])
    with pytest.raises(ValueError):
        BgNbdParams(r=-1.0, alpha=1.0, a=1.0, b=1.0)


# ----------------------------------------------------------------------------- predictions


def test_p_alive_edge_cases() -> None:
    p = TRUE_BG
    # x == 0: dropout only follows a repeat purchase, so the customer is alive for sure.
    assert np.all(clv.p_alive(p, [0, 0, 0], [0, 0, 0], [0.0, 10.0, 1e6]) == 1.0)
    # x > 0 and last purchase right now: 1 / (1 + a / (b + x - 1)).
    xs = np.array([1.0, 2.0, 10.0])
    got = clv.p_alive(p, xs, [30.0] * 3, [30.0] * 3)
    np.testing.assert_allclose(got, 1.0 / (1.0 + p.a / (p.b + xs - 1.0)), rtol=1e-14)
    # Direct formula at an interior point.
    x, t_x, T = 3.0, 10.0, 50.0
    expected = 1.0 / (1.0 + p.a / (p.b + x - 1) * ((p.alpha + T) / (p.alpha + t_x)) ** (p.r + x))
    assert clv.p_alive(p, x, t_x, T) == pytest.approx(expected, rel=1e-13)
    # Monotone: older silence -> less likely alive; more recent purchase -> more likely alive.
    T_grid = np.linspace(10, 200, 50)
    assert np.all(np.diff(clv.p_alive(p, 3.0, 10.0, T_grid)) < 0)
    tx_grid = np.linspace(0, 50, 50)
    assert np.all(np.diff(clv.p_alive(p, 3.0, tx_grid, 50.0)) > 0)
    # Extreme histories: bounded, finite.
    extreme = clv.p_alive(p, [5000.0, 1.0], [1.0, 0.0], [1e5, 1e-9])
    assert np.all(np.isfinite(extreme)) and np.all((extreme >= 0) & (extreme <= 1))
    assert extreme[0] < 1e-12


def test_expected_purchases_properties() -> None:
    p = TRUE_BG
    t = np.linspace(0.0, 200.0, 41)
    e = clv.expected_purchases(p, t, 4.0, 30.0, 52.0)
    assert e[0] == 0.0
    assert np.all(np.diff(e) > 0)
    # Bounded by P(alive) * E[lambda | alive] * t.
    pa = clv.p_alive(p, 4.0, 30.0, 52.0)
    assert np.all(e <= pa * (p.r + 4.0) / (p.alpha + 52.0) * t + 1e-12)
    # A brand-new customer (x = t_x = T = 0) is the unconditional expectation.
    np.testing.assert_allclose(clv.expected_purchases(p, t, 0.0, 0.0, 0.0), clv.expected_purchases_new(p, t))
    # Unconditional E[X(t)]: direct FHL eq. 9 (hyp2f1 without the Euler transform).
    from scipy.special import hyp2f1

    tt = np.array([1.0, 10.0, 52.0])
    direct = (
        (p.a + p.b - 1)
        / (p.a - 1)
        * (1 - (p.alpha / (p.alpha + tt)) ** p.r * hyp2f1(p.r, p.b, p.a + p.b - 1, tt / (p.alpha + tt)))
    )
    np.testing.assert_allclose(clv.expected_purchases_new(p, tt), direct, rtol=1e-10)
    # Broadcasting over customers.
    out = clv.expected_purchases(p, 10.0, [0, 1, 5], [0, 5, 20], [30, 30, 30])
    assert out.shape == (3,) and np.all(out > 0)


def test_closed_form_agrees_with_quadrature_and_handles_a_equal_one() -> None:
    rng = np.random.default_rng(0)
    x = rng.poisson(3, 500) * rng.integers(1, 20, 500).astype(float)
    T = rng.uniform(0, 100, 500)
    t = rng.uniform(0.1, 150, 500)
    for params in (TRUE_BG, BgNbdParams(2.0, 10.0, 3.0, 8.0), BgNbdParams(0.5, 1.0, 0.3, 0.4)):
        closed = bgnbd_predict.alive_expectation(params, t, x, T)
        quad = bgnbd_predict.alive_expectation_quadrature(params, t, x, T)
        np.testing.assert_allclose(closed, quad, rtol=1e-7)
    # a = 1 is a removable singularity of the closed form: value is continuous there.
    x3, T3 = np.array([0.0, 1.0, 5.0, 20.0]), np.array([0.0, 40.0, 40.0, 60.0])
    at_one = bgnbd_predict.alive_expectation(BgNbdParams(0.25, 4.0, 1.0, 2.5), 52.0, x3, T3)
    lo = bgnbd_predict.alive_expectation(BgNbdParams(0.25, 4.0, 1.0 - 1e-3, 2.5), 52.0, x3, T3)
    hi = bgnbd_predict.alive_expectation(BgNbdParams(0.25, 4.0, 1.0 + 1e-3, 2.5), 52.0, x3, T3)
    assert np.all(np.isfinite(at_one))
    assert np.all((np.minimum(lo, hi) <= at_one) & (at_one <= np.maximum(lo, hi)))
    quad = bgnbd_predict.alive_expectation_quadrature(
        BgNbdParams(0.25, 4.0, 1.0, 2.5), np.full(4, 52.0), x3, T3
    )
    np.testing.assert_allclose(at_one, quad, rtol=1e-7)


def test_hyp2f1_failure_falls_back_to_quadrature(monkeypatch: pytest.MonkeyPatch) -> None:
    x, t_x, T = np.array([0.0, 2.0, 7.0]), np.array([0.0, 10.0, 30.0]), np.array([20.0, 40.0, 40.0])
    good = clv.expected_purchases(TRUE_BG, 26.0, x, t_x, T)
    monkeypatch.setattr(
        bgnbd_predict.special, "hyp2f1", lambda a, b, c, z: np.full(np.broadcast(a, b, c, z).shape, np.nan)
    )
    fallback = clv.expected_purchases(TRUE_BG, 26.0, x, t_x, T)
    np.testing.assert_allclose(fallback, good, rtol=1e-8)


def test_unconditional_expectation_matches_monte_carlo() -> None:
    for t, seed in ((10.0, 1), (52.0, 2)):
        x, _, _ = clv.simulate_bgnbd(300_000, *TRUE_BG.as_dict().values(), t, seed=seed)
        se = x.std() / math.sqrt(x.size)
        assert abs(x.mean() - float(clv.expected_purchases_new(TRUE_BG, t))) < 4 * se


def test_conditional_expectation_matches_brute_force() -> None:
    # Law of total expectation: the mean conditional forecast over customers of age T equals
    # E[X(T + t)] - E[X(T)], and the simulated holdout purchases agree with it too.
    n, T, t = 200_000, 40.0, 26.0
    xc, txc, Tc, xh = clv.simulate_bgnbd_holdout(n, *TRUE_BG.as_dict().values(), T, t, seed=9)
    pred = clv.expected_purchases(TRUE_BG, t, xc, txc, Tc)
    closed = float(clv.expected_purchases_new(TRUE_BG, T + t) - clv.expected_purchases_new(TRUE_BG, T))
    assert pred.mean() == pytest.approx(closed, rel=0.02)
    assert abs(xh.mean() - pred.mean()) < 4 * xh.std() / math.sqrt(n)
    # Exact conditioning is possible for x = 0 (then t_x = 0 and T is fixed).
    zero = xc == 0
    hz = xh[zero]
    assert abs(hz.mean() - pred[zero][0]) < 4 * hz.std() / math.sqrt(hz.size)


# ----------------------------------------------------------------------------- Gamma-Gamma


@pytest.mark.parametrize("seed", SEEDS)
def test_gamma_gamma_recovery(seed: int) -> None:
    x, *_ = _simulated_fit(seed)
    m = clv.simulate_gamma_gamma(x, TRUE_GG.p, TRUE_GG.q, TRUE_GG.v, seed=seed + 7)
    fit = clv.fit_gamma_gamma(x, m)
    assert fit.converged, fit.message
    assert fit.n_customers == int((x > 0).sum())
    errors = _rel_err(fit.params, TRUE_GG, ("p", "q", "v"))
    for name, err in errors.items():
        assert abs(err) < GG_REL_TOL[name], (name, errors)
    # Independent by construction: the reported correlation is small.
    assert abs(fit.frequency_monetary_corr) < 0.05
    gap = fit.log_likelihood - clv.gamma_gamma_log_likelihood(TRUE_GG, x, m)
    assert -1e-6 <= gap < 16.27 / 2  # chi-square(3) 99.9% quantile / 2


def test_expected_average_value() -> None:
    g = TRUE_GG
    pop = g.p * g.v / (g.q - 1)
    assert g.population_mean == pytest.approx(pop)
    out = clv.expected_average_value(g, [0, 1, 1000], [np.nan, 100.0, 100.0])
    assert out[0] == pytest.approx(pop)
    assert min(pop, 100.0) < out[1] < max(pop, 100.0)  # shrinkage towards the prior mean
    assert out[2] == pytest.approx(100.0, rel=0.01)
    assert out[1] == pytest.approx(g.p * (g.v + 100.0) / (g.p + g.q - 1))
    assert np.isinf(clv.expected_average_value(GammaGammaParams(1.0, 0.5, 1.0), [0], [0.0])[0])


# ----------------------------------------------------------------------------- CLV


def test_clv_properties() -> None:
    x = np.array([0.0, 1.0, 4.0, 12.0])
    t_x = np.array([0.0, 10.0, 30.0, 50.0])
    T = np.array([20.0, 52.0, 52.0, 52.0])
    m = np.array([0.0, 40.0, 25.0, 60.0])
    value = clv.expected_average_value(TRUE_GG, x, m)
    # Zero horizon: zero value.
    assert np.all(clv.clv(TRUE_BG, TRUE_GG, x, t_x, T, m, 0, 0.01) == 0)
    # No discounting: expected purchases over the horizon times expected value.
    undiscounted = clv.clv(TRUE_BG, TRUE_GG, x, t_x, T, m, 13, 0.0, period_length=4.0)
    np.testing.assert_allclose(
        undiscounted, clv.expected_purchases(TRUE_BG, 52.0, x, t_x, T) * value, rtol=1e-10
    )
    # Manual discounted sum of period increments.
    d = 0.01
    cum = [clv.expected_purchases(TRUE_BG, float(k), x, t_x, T) for k in range(53)]
    manual = sum((cum[k] - cum[k - 1]) / (1 + d) ** k for k in range(1, 53)) * value
    got = clv.clv(TRUE_BG, TRUE_GG, x, t_x, T, m, 52, d, margin=1.0)
    np.testing.assert_allclose(got, manual, rtol=1e-10)
    # Discounting lowers value; margin scales it; x = 0 uses the population mean spend.
    assert np.all(got < undiscounted)
    np.testing.assert_allclose(clv.clv(TRUE_BG, TRUE_GG, x, t_x, T, m, 52, d, margin=0.3), 0.3 * got)
    assert value[0] == pytest.approx(TRUE_GG.population_mean)
    assert np.all(got > 0)


# ----------------------------------------------------------------------------- holdout


def test_holdout_calibration() -> None:
    T_cal = np.random.default_rng(77).uniform(30.0, 80.0, N)
    xc, txc, Tc, xh = clv.simulate_bgnbd_holdout(N, *TRUE_BG.as_dict().values(), T_cal, 39.0, seed=7)
    fit = clv.fit_bgnbd(xc, txc, Tc)
    errors = clv.holdout_errors(fit.params, xc, txc, Tc, xh, 39.0)
    assert abs(errors["pct_error"]) < 0.10, errors
    assert errors["correlation"] > 0.5
    assert errors["rmse"] >= errors["mae_per_customer"] > 0
    table = clv.calibration_holdout_table(fit.params, xc, txc, Tc, xh, 39.0)
    assert list(table["bucket"]) == ["0", "1", "2", "3", "4", "5", "6+", "total"]
    assert {"n_customers", "predicted", "actual", "error", "abs_pct_error"} <= set(table.columns)
    buckets, total = table.iloc[:-1], table.iloc[-1]
    assert buckets["n_customers"].sum() == total["n_customers"] == N
    assert total["predicted_total"] == pytest.approx(errors["total_predicted"])
    assert total["actual_total"] == pytest.approx(errors["total_actual"])
    assert buckets["predicted_total"].sum() == pytest.approx(total["predicted_total"])
    # Forecasts rise with calibration frequency.
    assert np.all(np.diff(buckets["predicted"].to_numpy()) > 0)
    assert np.all(buckets["abs_pct_error"] < 0.25)


# ----------------------------------------------------------------------------- fit_and_score


def _summary(n: int, seed: int) -> pd.DataFrame:
    T = np.random.default_rng(seed).uniform(30.0, 80.0, n)
    x, t_x, T = clv.simulate_bgnbd(n, *TRUE_BG.as_dict().values(), T, seed=seed)
    m = clv.simulate_gamma_gamma(x, TRUE_GG.p, TRUE_GG.q, TRUE_GG.v, seed=seed)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "frequency": x,
            "recency": t_x,
            "T": T,
            "monetary_value": m,
        }
    )


def _check_scores(scores: pd.DataFrame, n: int) -> None:
    assert list(scores.columns) == [
        "customer_id",
        "p_alive",
        "expected_purchases",
        "expected_avg_value",
        "clv",
    ]
    assert len(scores) == n
    numeric = scores.drop(columns="customer_id").to_numpy(dtype=float)
    assert np.all(np.isfinite(numeric)) and np.all(numeric >= 0)
    assert np.all(scores["p_alive"] <= 1)


def test_fit_and_score_normal_path() -> None:
    summary = _summary(5000, 4)
    scores, diag = clv.fit_and_score(summary, horizon=12, discount_rate=0.01, period_length=4.0)
    _check_scores(scores, 5000)
    assert diag["bgnbd_status"] == "ok" and diag["gg_status"] == "ok"
    assert diag["bgnbd_converged"] and diag["gg_converged"]
    for key in ("r", "alpha", "a", "b", "p", "q", "v", "bgnbd_log_likelihood", "gg_log_likelihood"):
        assert isinstance(diag[key], float) and math.isfinite(diag[key])
    assert scores["customer_id"].tolist() == summary["customer_id"].tolist()
    # Matches the low-level API.
    bg = BgNbdParams(diag["r"], diag["alpha"], diag["a"], diag["b"])
    gg = GammaGammaParams(diag["p"], diag["q"], diag["v"])
    args = (summary["frequency"], summary["recency"], summary["T"])
    np.testing.assert_allclose(scores["p_alive"], clv.p_alive(bg, *args))
    np.testing.assert_allclose(
        scores["expected_purchases"], clv.expected_purchases(bg, 48.0, *args), rtol=1e-9
    )
    np.testing.assert_allclose(
        scores["clv"],
        clv.clv(bg, gg, *args, summary["monetary_value"], 12, 0.01, period_length=4.0),
        rtol=1e-9,
    )


def test_fit_and_score_everyone_one_time_buyer() -> None:
    summary = pd.DataFrame(
        {
            "customer_id": range(50),
            "frequency": 0,
            "recency": 0.0,
            "T": np.linspace(1, 50, 50),
            "monetary_value": 0.0,
        }
    )
    scores, diag = clv.fit_and_score(summary, 52, 0.002)
    _check_scores(scores, 50)
    assert diag["bgnbd_status"] == "fallback_no_repeat"
    assert diag["gg_status"] == "fallback_too_few_repeat_buyers"
    assert np.all(scores["clv"] == 0) and diag["warnings"]


def test_fit_and_score_few_repeat_buyers_uses_spend_fallback() -> None:
    summary = _summary(400, 8)
    repeaters = summary.index[summary["frequency"] > 0][10:]
    summary.loc[repeaters, ["frequency", "recency", "monetary_value"]] = 0
    scores, diag = clv.fit_and_score(summary, 26, 0.0)
    _check_scores(scores, 400)
    assert diag["gg_status"] == "fallback_too_few_repeat_buyers"
    assert diag["bgnbd_status"] in {"ok", "not_converged"}
    assert diag["population_mean_value"] > 0
    assert np.all(scores["expected_avg_value"] > 0)


def test_fit_and_score_empty_and_garbage_rows() -> None:
    empty = pd.DataFrame(columns=["customer_id", "frequency", "recency", "T", "monetary_value"])
    scores, diag = clv.fit_and_score(empty, 12, 0.01)
    assert len(scores) == 0 and diag["bgnbd_status"] == "fallback_empty"

    summary = _summary(2000, 5)
    summary.loc[0, "frequency"] = np.nan
    summary.loc[1, "recency"] = summary.loc[1, "T"] + 5  # recency beyond age
    summary.loc[2, "T"] = -3
    summary.loc[3, "monetary_value"] = np.nan
    summary.loc[4, "frequency"] = 2.5
    summary["frequency"] = summary["frequency"].astype(object)
    summary.loc[5, "frequency"] = "n/a"
    scores, diag = clv.fit_and_score(summary, 12, 0.01)
    _check_scores(scores, 2000)
    assert diag["n_rows_cleaned"] >= 6

    single = _summary(1, 1)
    scores, diag = clv.fit_and_score(single, 12, 0.01)
    _check_scores(scores, 1)


def test_fit_and_score_failed_fits_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("optimizer exploded")

    monkeypatch.setattr(scoring, "fit_bgnbd", boom)
    monkeypatch.setattr(scoring, "fit_gamma_gamma", boom)
    summary = _summary(1000, 6)
    scores, diag = clv.fit_and_score(summary, 12, 0.01)
    _check_scores(scores, 1000)
    assert diag["bgnbd_status"] == "fallback_fit_failed"
    assert diag["gg_status"] == "fallback_fit_failed"
    assert any("optimizer exploded" in w for w in diag["warnings"])
    assert np.all(scores["p_alive"] == 1) and scores["clv"].sum() > 0


def test_fit_and_score_infinite_mean_spend_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    real = clv.fit_gamma_gamma

    def heavy_tail(*args: object, **kwargs: object) -> clv.GammaGammaFitResult:
        res = real(*args, **kwargs)
        return clv.GammaGammaFitResult(**{**res.__dict__, "params": GammaGammaParams(2.0, 0.8, 5.0)})

    monkeypatch.setattr(scoring, "fit_gamma_gamma", heavy_tail)
    scores, diag = clv.fit_and_score(_summary(1000, 7), 12, 0.01)
    _check_scores(scores, 1000)
    assert diag["gg_status"] == "fallback_fit_failed"
    assert any("q = 0.8" in w for w in diag["warnings"])
