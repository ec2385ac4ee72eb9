"""Scoring with fallbacks: fit BG/NBD and Gamma-Gamma on an RFM summary and score every customer,
or score with parameters fitted before.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from audience.clv.bgnbd import fit_bgnbd
from audience.clv.bgnbd_predict import p_alive
from audience.clv.gamma_gamma import expected_average_value, fit_gamma_gamma
from audience.clv.lifetime_value import discounted_and_total
from audience.clv.numerics import (
    FloatArray,
    wsum,
)
from audience.clv.params import BgNbdParams, GammaGammaParams


def _clean_summary(
    summary: pd.DataFrame, cols: dict[str, str]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, int]:
    """Coerce the summary columns to valid arrays; returns the arrays and #rows changed."""

    def num(col: str) -> FloatArray:
        return pd.to_numeric(summary[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

    x, t_x, T, m = num(cols["frequency"]), num(cols["recency"]), num(cols["T"]), num(cols["monetary"])
    bad = ~np.isfinite(x) | ~np.isfinite(t_x) | ~np.isfinite(T) | ~np.isfinite(m)
    bad |= (x < 0) | (t_x < 0) | (T < 0) | (x != np.round(x)) | (t_x > T) | (m < 0)
    T = np.where(np.isfinite(T) & (T > 0), T, 0.0)
    x = np.where(np.isfinite(x) & (x > 0), np.round(x), 0.0)
    t_x = np.clip(np.where(np.isfinite(t_x), t_x, 0.0), 0.0, T)
    t_x = np.where(x > 0, t_x, 0.0)
    m = np.where(np.isfinite(m) & (m > 0) & (x > 0), m, 0.0)
    return x, t_x, T, m, int(bad.sum())


def fit_and_score(
    summary: pd.DataFrame,
    horizon: int,
    discount_rate: float,
    *,
    customer_col: str = "customer_id",
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    monetary_col: str = "monetary_value",
    period_length: float = 1.0,
    margin: float = 1.0,
    min_repeat_buyers_gg: int = 20,
    aggregate: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit BG/NBD and Gamma-Gamma on an RFM summary and score every customer; never raises on data.

    ``summary`` has one row per customer with the customer key, ``frequency`` (repeat purchases),
    ``recency`` and ``T`` (in the model time unit) and ``monetary_value`` (mean repeat
    transaction value, 0 for ``x == 0``). ``horizon`` is a number of periods of
    ``period_length`` time units and ``discount_rate`` the rate per period.

    Returns ``(scores, diagnostics)``. ``scores`` has the key plus ``p_alive``,
    ``expected_purchases`` (undiscounted, over the whole horizon), ``expected_avg_value`` and
    ``clv``: all finite, non-negative, ``p_alive`` in [0, 1]. ``diagnostics`` holds parameter
    values, log-likelihoods, convergence flags, the frequency/monetary correlation, a status
    per model (``ok``, ``not_converged``, or ``fallback_...``) and human-readable ``warnings``.

    Fallbacks: invalid values are coerced (NaN/negative to 0, recency clipped to ``[0, T]``);
    with no repeat buyers, or a BG/NBD fit that errors or gives non-finite predictions, every
    customer gets a Gamma-Poisson rate ``(x + 1) / (T + T_bar / x_bar)`` (no dropout, p_alive 1;
    zero purchases when nobody repeated). With fewer than ``min_repeat_buyers_gg`` repeat
    buyers, a failed fit, or ``q <= 1``, the spend model is replaced by
    ``(x m + m_bar) / (x + 1)`` with ``m_bar`` the transaction-weighted mean spend.
    """
    cols = {"frequency": frequency_col, "recency": recency_col, "T": T_col, "monetary": monetary_col}
    missing = [c for c in [customer_col, *cols.values()] if c not in summary.columns]
    if missing:
        raise ValueError(f"summary is missing columns: {missing}")
    diag = _initial_diagnostics(len(summary), horizon, discount_rate, period_length, margin)
    warnings: list[str] = diag["warnings"]
    x, t_x, T, m, n_cleaned = _clean_summary(summary, cols)
    diag["n_rows_cleaned"] = n_cleaned
    if n_cleaned:
        warnings.append(f"{n_cleaned} rows had missing or inconsistent values and were coerced")
    diag["n_repeat_buyers"] = int((x > 0).sum())
    pa, exp_p, disc_p = _fit_purchases(x, t_x, T, int(horizon), discount_rate, period_length, aggregate, diag)
    value = _fit_spend(x, m, min_repeat_buyers_gg, diag)
    return _score_frame(summary[customer_col], customer_col, pa, exp_p, disc_p, value, margin), diag


def _initial_diagnostics(
    n_customers: int, horizon: int, discount_rate: float, period_length: float, margin: float
) -> dict[str, Any]:
    """Diagnostics of :func:`fit_and_score` before any fit: every key, with empty values."""
    return {
        "n_customers": int(n_customers),
        "horizon": int(horizon),
        "discount_rate": float(discount_rate),
        "period_length": float(period_length),
        "margin": float(margin),
        "bgnbd_status": None,
        "r": None,
        "alpha": None,
        "a": None,
        "b": None,
        "bgnbd_log_likelihood": None,
        "bgnbd_converged": False,
        "bgnbd_iterations": 0,
        "bgnbd_message": "",
        "gg_status": None,
        "p": None,
        "q": None,
        "v": None,
        "gg_log_likelihood": None,
        "gg_converged": False,
        "gg_iterations": 0,
        "gg_message": "",
        "gg_n_customers": 0,
        "population_mean_value": None,
        "frequency_monetary_corr": None,
        "frequency_monetary_spearman": None,
        "warnings": [],
    }


def _fit_purchases(
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    horizon: int,
    discount_rate: float,
    period_length: float,
    aggregate: bool,
    diag: dict[str, Any],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(P(alive), undiscounted, discounted expected purchases) from a BG/NBD fit or its fallback.

    Records the fit and its status in ``diag``.
    """
    warnings: list[str] = diag["warnings"]
    n = x.size
    if n == 0:
        diag["bgnbd_status"] = "fallback_empty"
        warnings.append("empty summary: nothing to fit")
        return np.ones(n), np.zeros(n), np.zeros(n)
    if not np.any(x > 0) or not np.any(T > 0):
        diag["bgnbd_status"] = "fallback_no_repeat"
        warnings.append("no repeat purchases: BG/NBD not identifiable; expected purchases set to 0")
        return np.ones(n), np.zeros(n), np.zeros(n)
    try:
        codes, first, counts = _unique_rows(x, t_x, T, aggregate)
        diag["n_unique_rows"] = int(first.size)
        fit = fit_bgnbd(x[first], t_x[first], T[first], weights=counts)
        bg = fit.params
        diag.update(bg.as_dict())
        diag.update(
            bgnbd_log_likelihood=fit.log_likelihood,
            bgnbd_converged=fit.converged,
            bgnbd_iterations=fit.n_iterations,
            bgnbd_message=fit.message,
        )
        pa, disc_p, exp_p = _bgnbd_predictions(
            bg, x, t_x, T, (codes, first), horizon, discount_rate, period_length
        )
        diag["bgnbd_status"] = "ok" if fit.converged else "not_converged"
        if not fit.converged:
            warnings.append(f"BG/NBD fit did not converge ({fit.message}); using best parameters found")
        return pa, exp_p, disc_p
    except Exception as exc:  # any failure degrades to the fallback model
        diag["bgnbd_status"] = "fallback_fit_failed"
        warnings.append(f"BG/NBD fit failed ({type(exc).__name__}: {exc}); using Gamma-Poisson rates")
        return _gamma_poisson_purchases(x, T, horizon, discount_rate, period_length)


def _gamma_poisson_purchases(
    x: FloatArray, T: FloatArray, horizon: int, discount_rate: float, period_length: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fallback without dropout: rate ``(x + 1) / (T + T_bar / x_bar)``, P(alive) 1."""
    x_bar, T_bar = float(x.mean()), float(T.mean())
    rate = (x + 1.0) / (T + T_bar / max(x_bar, 1e-12))
    exp_p = rate * (horizon * float(period_length))
    d = 1.0 / (1.0 + discount_rate) ** np.arange(1, horizon + 1)
    disc_p = rate * float(period_length) * float(d.sum())
    return np.ones(x.size), exp_p, disc_p


def _fit_spend(x: FloatArray, m: FloatArray, min_repeat_buyers_gg: int, diag: dict[str, Any]) -> FloatArray:
    """Expected average value per customer from a Gamma-Gamma fit, or the shrunk empirical mean
    ``(x m + m_bar) / (x + 1)`` when the fit is not possible or not usable. Records it in ``diag``."""
    warnings: list[str] = diag["warnings"]
    usable = (x > 0) & (m > 0)
    n_usable = int(usable.sum())
    m_bar = wsum(x[usable], m[usable]) / x[usable].sum() if n_usable else 0.0
    if n_usable < max(int(min_repeat_buyers_gg), 2):
        diag["gg_status"] = "fallback_too_few_repeat_buyers"
        warnings.append(
            f"only {n_usable} repeat buyers with positive spend (< {min_repeat_buyers_gg}): "
            "Gamma-Gamma not fitted; using shrunk empirical mean spend"
        )
    else:
        try:
            return _gamma_gamma_values(x, m, usable, diag)
        except Exception as exc:
            diag["gg_status"] = "fallback_fit_failed"
            warnings.append(
                f"Gamma-Gamma unusable ({type(exc).__name__}: {exc}); using shrunk empirical mean spend"
            )
    diag["population_mean_value"] = m_bar
    return (x * m + m_bar) / (x + 1.0)


def _gamma_gamma_values(
    x: FloatArray, m: FloatArray, usable: npt.NDArray[np.bool_], diag: dict[str, Any]
) -> FloatArray:
    """Fit Gamma-Gamma on the usable rows and value every customer; raises when unusable."""
    warnings: list[str] = diag["warnings"]
    gfit = fit_gamma_gamma(x[usable], m[usable])
    gg = gfit.params
    diag.update(gg.as_dict())
    diag.update(
        gg_log_likelihood=gfit.log_likelihood,
        gg_converged=gfit.converged,
        gg_iterations=gfit.n_iterations,
        gg_message=gfit.message,
        gg_n_customers=gfit.n_customers,
        frequency_monetary_corr=None
        if math.isnan(gfit.frequency_monetary_corr)
        else gfit.frequency_monetary_corr,
        frequency_monetary_spearman=None
        if math.isnan(gfit.frequency_monetary_spearman)
        else gfit.frequency_monetary_spearman,
    )
    if not gg.q > 1:
        raise ValueError(f"q = {gg.q:.3g} <= 1: population mean spend is undefined")
    value = expected_average_value(gg, x, m)
    if not np.all(np.isfinite(value)):
        raise FloatingPointError("non-finite expected values")
    diag["population_mean_value"] = gg.population_mean
    diag["gg_status"] = "ok" if gfit.converged else "not_converged"
    if not gfit.converged:
        warnings.append(f"Gamma-Gamma fit did not converge ({gfit.message}); using best parameters")
    corr = gfit.frequency_monetary_corr
    if math.isfinite(corr) and abs(corr) > 0.3:
        warnings.append(
            f"frequency and spend are correlated (r = {corr:.2f}); Gamma-Gamma assumes independence"
        )
    return value


def _unique_rows(
    x: FloatArray, t_x: FloatArray, T: FloatArray, aggregate: bool
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]:
    """(row -> unique-row code, first row of each unique (x, t_x, T), rows per unique row)."""
    n = x.size
    if not aggregate:
        return np.arange(n), np.arange(n), np.ones(n)
    codes = pd.DataFrame({"x": x, "t": t_x, "T": T}).groupby(["x", "t", "T"], sort=False).ngroup().to_numpy()
    _, first = np.unique(codes, return_index=True)
    return codes, first, np.bincount(codes).astype(np.float64)


def _bgnbd_predictions(
    bg: BgNbdParams,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    unique: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]],
    horizon: int,
    discount_rate: float,
    period_length: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(P(alive), discounted and undiscounted expected purchases) per row, computed once per
    unique row; raises FloatingPointError on a non-finite prediction."""
    codes, first = unique
    ux, ut, uT = x[first], t_x[first], T[first]
    u_pa = p_alive(bg, ux, ut, uT)
    u_disc, u_exp = discounted_and_total(bg, ux, ut, uT, horizon, discount_rate, period_length)
    if not (np.all(np.isfinite(u_pa)) and np.all(np.isfinite(u_disc)) and np.all(np.isfinite(u_exp))):
        raise FloatingPointError("non-finite BG/NBD predictions")
    return u_pa[codes], u_disc[codes], u_exp[codes]


def _score_frame(
    ids: pd.Series,
    customer_col: str,
    pa: FloatArray,
    exp_p: FloatArray,
    disc_p: FloatArray,
    value: FloatArray,
    margin: float,
) -> pd.DataFrame:
    value = np.nan_to_num(np.maximum(value, 0.0), nan=0.0, posinf=0.0)
    clv_values = np.nan_to_num(float(margin) * value * np.maximum(disc_p, 0.0), nan=0.0, posinf=0.0)
    return pd.DataFrame(
        {
            customer_col: ids.to_numpy(),
            "p_alive": np.clip(np.nan_to_num(pa, nan=1.0), 0.0, 1.0),
            "expected_purchases": np.maximum(np.nan_to_num(exp_p, nan=0.0, posinf=0.0), 0.0),
            "expected_avg_value": value,
            "clv": np.maximum(clv_values, 0.0),
        }
    )


def score_with_parameters(
    summary: pd.DataFrame,
    bg: BgNbdParams,
    horizon: int,
    discount_rate: float,
    *,
    gg: GammaGammaParams | None,
    mean_value: float,
    customer_col: str = "customer_id",
    period_length: float = 1.0,
    margin: float = 1.0,
    aggregate: bool = True,
) -> pd.DataFrame:
    """Score every customer of ``summary`` with parameters fitted before, exactly as
    :func:`fit_and_score` scores with the parameters it fits.

    ``summary`` has the columns of :func:`fit_and_score` under their default names. ``gg`` is
    the Gamma-Gamma fit, or None when :func:`fit_and_score` fell back to the shrunk empirical
    mean spend; ``mean_value`` is then that mean (its ``population_mean_value``).
    """
    cols = {"frequency": "frequency", "recency": "recency", "T": "T", "monetary": "monetary_value"}
    x, t_x, T, m, _ = _clean_summary(summary, cols)
    unique = _unique_rows(x, t_x, T, aggregate)[:2]
    pa, disc_p, exp_p = _bgnbd_predictions(bg, x, t_x, T, unique, int(horizon), discount_rate, period_length)
    value = expected_average_value(gg, x, m) if gg is not None else (x * m + mean_value) / (x + 1.0)
    return _score_frame(summary[customer_col], customer_col, pa, exp_p, disc_p, value, margin)
