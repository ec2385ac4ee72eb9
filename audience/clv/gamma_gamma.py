"""Gamma-Gamma spend model: log-likelihood, maximum-likelihood fit and expected average value."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from audience.clv.numerics import (
    LOG_BOUND,
    ArrayLike,
    FloatArray,
    minimize_from_starts,
    row_weights,
    weighted_corr,
    weighted_spearman,
    wsum,
)
from audience.clv.params import GammaGammaFitResult, GammaGammaParams


def _gg_rows(
    x: ArrayLike, m: ArrayLike, weights: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    xa, ma = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    xa, ma = xa.ravel(), ma.ravel()
    w = row_weights(weights, xa.size)
    keep = np.isfinite(xa) & np.isfinite(ma) & (xa >= 1) & (ma > 0) & (w > 0)
    return xa[keep], ma[keep], w[keep]


def gamma_gamma_log_likelihood(
    params: GammaGammaParams, x: ArrayLike, m: ArrayLike, weights: ArrayLike | None = None
) -> float:
    """Total Gamma-Gamma log-likelihood of mean spends ``m`` over customers with ``x >= 1, m > 0``."""
    xa, ma, w = _gg_rows(x, m, weights)
    p, q, v = params.p, params.q, params.v
    px = p * xa
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * math.log(v)
        + (px - 1.0) * np.log(ma)
        + px * np.log(xa)
        - (px + q) * np.log(v + ma * xa)
    )
    return wsum(w, ll)


class _GammaGammaObjective:
    """Mean negative Gamma-Gamma log-likelihood and gradient in log-parameters."""

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        self.x, self.m, self.w = x, m, w
        self.sw = float(w.sum())
        self.lm, self.lx = np.log(m), np.log(x)
        self.mx = m * x
        self.c_p = wsum(w, x * (self.lm + self.lx))
        self.c_lm = wsum(w, self.lm)

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, v = np.exp(theta)
        x, w = self.x, self.w
        px = p * x
        lvmx = np.log(v + self.mx)
        ll = (
            wsum(w, special.gammaln(px + q) - special.gammaln(px) - (px + q) * lvmx)
            - self.sw * (special.gammaln(q) - q * math.log(v))
            + p * self.c_p
            - self.c_lm
        )
        dg_pxq = special.digamma(px + q)
        g_p = wsum(w, x * (dg_pxq - special.digamma(px) - lvmx)) + self.c_p
        g_q = wsum(w, dg_pxq - lvmx) + self.sw * (math.log(v) - special.digamma(q))
        g_v = self.sw * q / v - wsum(w, (px + q) / (v + self.mx))
        grad = np.array([g_p * p, g_q * q, g_v * v])
        if not math.isfinite(ll) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros(3)
        return -ll / self.sw, -grad / self.sw


def fit_gamma_gamma(
    x: ArrayLike,
    m: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    maxiter: int = 2000,
    tol: float = 1e-12,
) -> GammaGammaFitResult:
    """Fit Gamma-Gamma by maximum likelihood on customers with ``x >= 1`` and ``m > 0``.

    ``m`` is the mean value of the customer's repeat transactions. Other rows are ignored.
    Raises ``ValueError`` when fewer than two usable customers remain.
    """
    xa, ma, w = _gg_rows(x, m, weights)
    if xa.size < 2:
        raise ValueError("fit_gamma_gamma needs at least two customers with x >= 1 and m > 0")
    sw = float(w.sum())
    scale = wsum(w, ma) / sw
    obj = _GammaGammaObjective(xa, ma / scale, w)
    starts = [np.log([p0, q0, (q0 - 1.0) / p0]) for p0, q0 in ((1.0, 2.0), (5.0, 4.0), (0.5, 1.5))]
    res, ok = minimize_from_starts(obj, starts, 3, maxiter, tol)
    p, q, v_s = (float(val) for val in np.exp(res.x))
    message = str(res.message)
    if np.any(np.abs(res.x) >= LOG_BOUND - 1e-6):
        message += " (a parameter is at its bound: the maximum may not be interior)"
        ok = False
    return GammaGammaFitResult(
        params=GammaGammaParams(p=p, q=q, v=v_s * scale),
        log_likelihood=-float(res.fun) * sw - sw * math.log(scale),
        converged=ok,
        n_iterations=int(res.nit),
        message=message,
        n_customers=int(round(sw)),
        n_rows=int(xa.size),
        frequency_monetary_corr=weighted_corr(xa, ma, w),
        frequency_monetary_spearman=weighted_spearman(xa, ma, w),
    )


def expected_average_value(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> FloatArray:
    """Conditional expected transaction value ``p (v + x m) / (p x + q - 1)``.

    Customers with ``x == 0`` get the population mean ``p v / (q - 1)`` (their ``m`` is ignored);
    ``inf`` where the expectation does not exist (``p x + q <= 1``).
    """
    xa, ma = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    if np.any(~np.isfinite(xa)) or np.any(xa < 0):
        raise ValueError("frequency x must be finite and non-negative")
    ma = np.where(xa > 0, ma, 0.0)
    if np.any(~np.isfinite(ma)):
        raise ValueError("monetary value m must be finite for customers with x > 0")
    ma = np.maximum(ma, 0.0)
    p, q, v = params.p, params.q, params.v
    denom = p * xa + q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(denom > 0, p * (v + xa * ma) / denom, np.inf)
    return np.asarray(out, dtype=np.float64)
