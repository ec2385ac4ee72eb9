"""BG/NBD purchase model: log-likelihood and maximum-likelihood fit (see :mod:`audience.clv`)."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from audience.clv.numerics import (
    LOG_BOUND,
    ArrayLike,
    FloatArray,
    check_rft,
    minimize_from_starts,
    row_weights,
    wsum,
)
from audience.clv.params import BgNbdParams, FitResult


def bgnbd_log_likelihood_individual(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood ``log L(r, alpha, a, b | x, t_x, T)``."""
    xa, ta, Ta = check_rft(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    base = (
        special.gammaln(r + xa)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + xa)
        - special.betaln(a, b)
    )
    l3 = -(r + xa) * np.log(alpha + Ta)
    pos = xa > 0
    l4 = np.full_like(xa, -np.inf)
    l4[pos] = math.log(a) - np.log(b + xa[pos] - 1) - (r + xa[pos]) * np.log(alpha + ta[pos])
    return base + np.logaddexp(l3, l4)


def bgnbd_log_likelihood(
    params: BgNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total (weighted) BG/NBD log-likelihood."""
    ll = bgnbd_log_likelihood_individual(params, x, t_x, T)
    return wsum(row_weights(weights, ll.size), ll.ravel())


class BgNbdObjective:
    """Mean negative log-likelihood and gradient in log-parameters, with precomputation.

    Terms that depend on ``x`` only are evaluated once per distinct ``x`` value; the
    row-level work is a few logs and one logaddexp per customer.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> None:
        keep = w > 0
        x, t_x, T, w = x[keep], t_x[keep], T[keep], w[keep]
        self.sw = float(w.sum())
        self.ux, inv = np.unique(x, return_inverse=True)
        self.wx = np.bincount(inv.ravel(), weights=w, minlength=self.ux.size)
        pos = x > 0
        self.x1, self.t1, self.T1, self.w1 = x[pos], t_x[pos], T[pos], w[pos]
        self.xm1 = self.x1 - 1.0
        self.T0, self.w0 = T[~pos], w[~pos]

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        ux, wx = self.ux, self.wx
        # Terms depending on x only (sum over distinct x values).
        ll = float(
            wsum(
                wx,
                special.gammaln(r + ux)
                - special.gammaln(r)
                + special.betaln(a, b + ux)
                - special.betaln(a, b),
            )
        )
        ll += self.sw * r * math.log(alpha)
        g_r = wsum(wx, special.digamma(r + ux) - special.digamma(r)) + self.sw * math.log(alpha)
        g_alpha = self.sw * r / alpha
        dab = special.digamma(a + b)
        g_a = wsum(wx, dab - special.digamma(a + b + ux))
        g_b = wsum(wx, special.digamma(b + ux) - special.digamma(b) - special.digamma(a + b + ux) + dab)
        # x == 0 customers: only -r log(alpha + T).
        if self.T0.size:
            lT0 = np.log(alpha + self.T0)
            ll -= r * wsum(self.w0, lT0)
            g_r -= wsum(self.w0, lT0)
            g_alpha -= r * wsum(self.w0, 1.0 / (alpha + self.T0))
        # x > 0 customers: the two-term sum.
        if self.x1.size:
            rx = r + self.x1
            lT = np.log(alpha + self.T1)
            lt = np.log(alpha + self.t1)
            l3 = -rx * lT
            l4 = math.log(a) - np.log(b + self.xm1) - rx * lt
            lse = np.logaddexp(l3, l4)
            w4 = np.exp(l4 - lse)  # softmax weight of the "died after last purchase" term
            w3 = 1.0 - w4
            wr = self.w1
            ll += wsum(wr, lse)
            g_r -= wsum(wr, w3 * lT + w4 * lt)
            g_alpha -= wsum(wr, rx * (w3 / (alpha + self.T1) + w4 / (alpha + self.t1)))
            g_a += wsum(wr, w4) / a
            g_b -= wsum(wr, w4 / (b + self.xm1))
        grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
        if not math.isfinite(ll) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros(4)
        return -ll / self.sw, -grad / self.sw


def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    initial: BgNbdParams | None = None,
    maxiter: int = 2000,
    tol: float = 1e-12,
) -> FitResult:
    """Fit BG/NBD by maximum likelihood (L-BFGS-B on log-parameters, analytic gradient).

    ``weights`` (optional) counts how many customers each row stands for, so identical
    ``(x, t_x, T)`` rows may be aggregated. Raises ``ValueError`` on invalid or empty input.
    If nobody made a repeat purchase the likelihood has no interior maximum (the fit runs to the
    bounds and is reported as not converged).
    """
    xa, ta, Ta = check_rft(x, t_x, T)
    xa, ta, Ta = xa.ravel(), ta.ravel(), Ta.ravel()
    w = row_weights(weights, xa.size)
    sw = float(w.sum())
    if xa.size == 0 or sw <= 0:
        raise ValueError("fit_bgnbd needs at least one customer with positive weight")
    scale = wsum(w, Ta) / sw
    if not scale > 0:
        scale = 1.0
    obj = BgNbdObjective(xa, ta / scale, Ta / scale, w)
    rate = max(wsum(w, xa) / sw, 1e-3)  # repeat purchases per unit of (scaled) time
    starts: list[FloatArray] = []
    if initial is not None:
        starts.append(np.log([initial.r, initial.alpha / scale, initial.a, initial.b]))
    for r0, a0, b0 in ((1.0, 1.0, 1.0), (0.3, 0.5, 5.0), (3.0, 2.0, 2.0)):
        starts.append(np.log([r0, r0 / rate, a0, b0]))
    res, ok = minimize_from_starts(obj, starts, 4, maxiter, tol)
    at_bound = bool(np.any(np.abs(res.x) >= LOG_BOUND - 1e-6))
    r, alpha_s, a, b = (float(v) for v in np.exp(res.x))
    params = BgNbdParams(r=r, alpha=alpha_s * scale, a=a, b=b)
    ll = -float(res.fun) * obj.sw - wsum(w, xa) * math.log(scale)
    message = str(res.message)
    if at_bound:
        message += " (a parameter is at its bound: the maximum may not be interior)"
        ok = False
    return FitResult(
        params=params,
        log_likelihood=ll,
        converged=ok,
        n_iterations=int(res.nit),
        message=message,
        n_customers=int(round(sw)),
        n_rows=int(xa.size),
    )
