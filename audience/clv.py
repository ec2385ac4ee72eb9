"""Probabilistic customer lifetime value: BG/NBD purchase model and Gamma-Gamma spend model.

Models
------
**BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"). While alive, a
customer makes repeat purchases as a Poisson process with rate ``lambda``; after each *repeat*
purchase the customer drops out ("dies") with probability ``p``. Across customers
``lambda ~ Gamma(shape=r, rate=alpha)`` and ``p ~ Beta(a, b)``. Each customer is summarised by

* ``x``   -- frequency: number of repeat purchases (the first purchase is not counted),
* ``t_x`` -- recency: time of the last repeat purchase, measured from the first purchase
  (0 when ``x == 0``),
* ``T``   -- age: time from the first purchase to the end of the observation window.

The individual likelihood, written on the log scale so that it is stable for large ``x``:

    log L = log G(r+x) - log G(r) + r log(alpha) + log B(a, b+x) - log B(a, b)
            + logaddexp( -(r+x) log(alpha+T),
                         [x>0] (log a - log(b+x-1) - (r+x) log(alpha+t_x)) )

**Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"). Transaction values of a customer are
``Gamma(shape=p, rate=nu)`` with ``nu ~ Gamma(shape=q, rate=v)`` across customers, so the mean
``m`` of ``x`` repeat transaction values is ``Gamma(p x, nu x)`` given ``nu``. Integrating ``nu``
out gives the likelihood fitted here; the conditional expected average value is

    E[M | x, m] = p (v + x m) / (p x + q - 1)

which shrinks ``m`` towards the population mean ``p v / (q - 1)`` (finite only when ``q > 1``).
The model assumes spend is independent of purchase frequency; the fit reports their correlation.

**CLV** over a horizon of ``H`` periods of length ``L`` (in model time units) is

    CLV = margin * E[M] * sum_{k=1..H} (E[Y(kL)] - E[Y((k-1)L)]) / (1 + d)^k

with ``E[Y(t)]`` the BG/NBD conditional expected number of purchases in ``(T, T + t]``.

Time unit
---------
All times (``t_x``, ``T``, ``t``, horizons, ``period_length``) are in a single unit chosen by the
caller; the dbt models use **weeks**. Only ``alpha`` carries the unit (it is a time scale); ``r``,
``a`` and ``b`` are unit free. Internally the fit rescales time (and money) to order one for
numerical conditioning; reported parameters and log-likelihoods are in the caller's units.

Parameters are estimated by maximum likelihood (L-BFGS-B on log-parameters with analytic
gradients). Optional per-row weights let identical ``(x, t_x, T)`` rows be aggregated.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, special
from scipy.stats import rankdata

__all__ = [
    "BgNbdParams",
    "GammaGammaParams",
    "FitResult",
    "GammaGammaFitResult",
    "bgnbd_log_likelihood",
    "bgnbd_log_likelihood_individual",
    "fit_bgnbd",
    "p_alive",
    "expected_purchases",
    "expected_purchases_new",
    "gamma_gamma_log_likelihood",
    "fit_gamma_gamma",
    "expected_average_value",
    "discounted_expected_purchases",
    "clv",
    "calibration_holdout_table",
    "holdout_errors",
    "fit_and_score",
    "simulate_bgnbd",
    "simulate_bgnbd_holdout",
    "simulate_gamma_gamma",
]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

try:  # optional: keep BLAS single-threaded inside the tiny L-BFGS-B updates
    from threadpoolctl import threadpool_limits as _threadpool_limits
except ImportError:  # pragma: no cover
    _threadpool_limits = None


def _single_thread_blas() -> contextlib.AbstractContextManager[Any]:
    # Threaded BLAS busy-waits on small vectors; on shared cores that costs ~10x the fit time.
    if _threadpool_limits is None:
        return contextlib.nullcontext()
    return _threadpool_limits(limits=1, user_api="blas")


_LOG_BOUND = 16.0  # bounds on log-parameters (in rescaled units): exp(+-16) ~ 9e6 / 1e-7
_A_ONE_TOL = 1e-6  # |a - 1| below this the closed form is ~0/0 ...
_A_ONE_STEP = 2e-5  # ... so average the closed forms at a = 1 -+ _A_ONE_STEP


# --------------------------------------------------------------------------------------------
# Parameter and result containers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters: ``lambda ~ Gamma(r, rate alpha)``, ``p ~ Beta(a, b)``."""

    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        for name in ("r", "alpha", "a", "b"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"BG/NBD parameter {name} must be finite and > 0, got {value}")

    def as_dict(self) -> dict[str, float]:
        """Parameters as a plain dict."""
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: values ``~ Gamma(p, rate nu)``, ``nu ~ Gamma(q, rate v)``."""

    p: float
    q: float
    v: float

    def __post_init__(self) -> None:
        for name in ("p", "q", "v"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Gamma-Gamma parameter {name} must be finite and > 0, got {value}")

    @property
    def population_mean(self) -> float:
        """Mean transaction value of a random customer, ``p v / (q - 1)`` (inf if ``q <= 1``)."""
        return self.p * self.v / (self.q - 1.0) if self.q > 1.0 else math.inf

    def as_dict(self) -> dict[str, float]:
        """Parameters as a plain dict."""
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class FitResult:
    """Outcome of a maximum-likelihood fit.

    ``log_likelihood`` is the (weighted) total log-likelihood at ``params`` in the caller's units;
    ``n_customers`` is the total weight (number of customers) used and ``n_rows`` the number of
    input rows after filtering.
    """

    params: BgNbdParams | GammaGammaParams
    log_likelihood: float
    converged: bool
    n_iterations: int
    message: str
    n_customers: int
    n_rows: int


@dataclass(frozen=True)
class GammaGammaFitResult(FitResult):
    """Gamma-Gamma fit plus the frequency/monetary correlations among the customers used.

    The model assumes frequency and spend are independent; a large ``|corr|`` (say > 0.3)
    is a warning that the model may be mis-specified.
    """

    frequency_monetary_corr: float = math.nan
    frequency_monetary_spearman: float = math.nan


# --------------------------------------------------------------------------------------------
# Input helpers
# --------------------------------------------------------------------------------------------


def _as_float(values: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_rft(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate and broadcast frequency, recency and age arrays."""
    xa, ta, Ta = np.broadcast_arrays(_as_float(x, "x"), _as_float(t_x, "t_x"), _as_float(T, "T"))
    if np.any(xa < 0) or np.any(xa != np.round(xa)):
        raise ValueError("frequency x must be non-negative integers")
    if np.any(ta < 0) or np.any(Ta < 0):
        raise ValueError("recency t_x and age T must be non-negative")
    if np.any(ta > Ta * (1 + 1e-9) + 1e-12):
        raise ValueError("recency t_x must not exceed age T")
    return xa.astype(np.float64), np.minimum(ta, Ta).astype(np.float64), Ta.astype(np.float64)


def _weights(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = np.broadcast_to(_as_float(weights, "weights"), (n,)).astype(np.float64)
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    return w


def _wsum(w: FloatArray, v: FloatArray) -> float:
    """Weighted sum ``sum(w * v)``; avoids BLAS ``dot`` (threaded BLAS busy-waits on shared cores)."""
    return float(np.sum(np.multiply(w, v)))


def _weighted_corr(x: FloatArray, y: FloatArray, w: FloatArray) -> float:
    sw = w.sum()
    if sw <= 0 or x.size < 2:
        return math.nan
    mx, my = (w * x).sum() / sw, (w * y).sum() / sw
    cov = (w * (x - mx) * (y - my)).sum()
    vx, vy = (w * (x - mx) ** 2).sum(), (w * (y - my) ** 2).sum()
    if vx <= 0 or vy <= 0:
        return math.nan
    return float(cov / math.sqrt(vx * vy))


def _weighted_spearman(x: FloatArray, y: FloatArray, w: FloatArray) -> float:
    return _weighted_corr(rankdata(x), rankdata(y), w)


# --------------------------------------------------------------------------------------------
# BG/NBD likelihood
# --------------------------------------------------------------------------------------------


def bgnbd_log_likelihood_individual(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood ``log L(r, alpha, a, b | x, t_x, T)``."""
    xa, ta, Ta = _check_rft(x, t_x, T)
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
    return _wsum(_weights(weights, ll.size), ll.ravel())


class _BgNbdObjective:
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
            _wsum(
                wx,
                special.gammaln(r + ux)
                - special.gammaln(r)
                + special.betaln(a, b + ux)
                - special.betaln(a, b),
            )
        )
        ll += self.sw * r * math.log(alpha)
        g_r = _wsum(wx, special.digamma(r + ux) - special.digamma(r)) + self.sw * math.log(alpha)
        g_alpha = self.sw * r / alpha
        dab = special.digamma(a + b)
        g_a = _wsum(wx, dab - special.digamma(a + b + ux))
        g_b = _wsum(wx, special.digamma(b + ux) - special.digamma(b) - special.digamma(a + b + ux) + dab)
        # x == 0 customers: only -r log(alpha + T).
        if self.T0.size:
            lT0 = np.log(alpha + self.T0)
            ll -= r * _wsum(self.w0, lT0)
            g_r -= _wsum(self.w0, lT0)
            g_alpha -= r * _wsum(self.w0, 1.0 / (alpha + self.T0))
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
            ll += _wsum(wr, lse)
            g_r -= _wsum(wr, w3 * lT + w4 * lt)
            g_alpha -= _wsum(wr, rx * (w3 / (alpha + self.T1) + w4 / (alpha + self.t1)))
            g_a += _wsum(wr, w4) / a
            g_b -= _wsum(wr, w4 / (b + self.xm1))
        grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
        if not math.isfinite(ll) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros(4)
        return -ll / self.sw, -grad / self.sw


def _minimize(
    fun: Any, starts: Sequence[FloatArray], n_params: int, maxiter: int, tol: float
) -> tuple[Any, bool]:
    """Run L-BFGS-B from the first start; try the others if it does not converge; keep the best."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * n_params
    best = None
    best_ok = False
    for i, start in enumerate(starts):
        with _single_thread_blas():
            res = optimize.minimize(
                fun,
                np.clip(np.asarray(start, dtype=np.float64), -_LOG_BOUND + 1, _LOG_BOUND - 1),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": maxiter, "ftol": tol, "gtol": 1e-8},
            )
        # A line-search stop right at the optimum is common with tight tolerances: accept it
        # when the projected gradient is negligible.
        _, g = fun(res.x)
        at_lo = (res.x <= -_LOG_BOUND + 1e-9) & (g > 0)
        at_hi = (res.x >= _LOG_BOUND - 1e-9) & (g < 0)
        pg = np.where(at_lo | at_hi, 0.0, g)
        ok = bool(res.success) or bool(np.max(np.abs(pg)) < 1e-5)
        if best is None or (np.isfinite(res.fun) and res.fun < best.fun - 1e-12):
            best, best_ok = res, ok
        if ok and i == 0:
            break
    assert best is not None
    return best, best_ok


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
    xa, ta, Ta = _check_rft(x, t_x, T)
    xa, ta, Ta = xa.ravel(), ta.ravel(), Ta.ravel()
    w = _weights(weights, xa.size)
    sw = float(w.sum())
    if xa.size == 0 or sw <= 0:
        raise ValueError("fit_bgnbd needs at least one customer with positive weight")
    scale = _wsum(w, Ta) / sw
    if not scale > 0:
        scale = 1.0
    obj = _BgNbdObjective(xa, ta / scale, Ta / scale, w)
    rate = max(_wsum(w, xa) / sw, 1e-3)  # repeat purchases per unit of (scaled) time
    starts: list[FloatArray] = []
    if initial is not None:
        starts.append(np.log([initial.r, initial.alpha / scale, initial.a, initial.b]))
    for r0, a0, b0 in ((1.0, 1.0, 1.0), (0.3, 0.5, 5.0), (3.0, 2.0, 2.0)):
        starts.append(np.log([r0, r0 / rate, a0, b0]))
    res, ok = _minimize(obj, starts, 4, maxiter, tol)
    at_bound = bool(np.any(np.abs(res.x) >= _LOG_BOUND - 1e-6))
    r, alpha_s, a, b = (float(v) for v in np.exp(res.x))
    params = BgNbdParams(r=r, alpha=alpha_s * scale, a=a, b=b)
    ll = -float(res.fun) * obj.sw - _wsum(w, xa) * math.log(scale)
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


# --------------------------------------------------------------------------------------------
# BG/NBD predictions
# --------------------------------------------------------------------------------------------


def p_alive(params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
    """Probability a customer with history ``(x, t_x, T)`` is still alive at ``T``.

    ``1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``; exactly 1 when ``x == 0``
    (dropout only happens right after a repeat purchase) and when ``x > 0`` and ``t_x == T`` it
    is ``1 / (1 + a/(b+x-1))``.
    """
    xa, ta, Ta = _check_rft(x, t_x, T)
    out = np.ones_like(xa)
    pos = xa > 0
    if np.any(pos):
        r, alpha, a, b = params.r, params.alpha, params.a, params.b
        xp = xa[pos]
        log_odds_dead = (
            math.log(a) - np.log(b + xp - 1) + (r + xp) * (np.log(alpha + Ta[pos]) - np.log(alpha + ta[pos]))
        )
        out[pos] = special.expit(-log_odds_dead)
    return out


def _alive_expectation_quadrature(
    params: BgNbdParams, t: FloatArray, x: FloatArray, T: FloatArray, n_nodes: int = 2048
) -> FloatArray:
    """``E[Y(t) | alive at T, x, T]`` by direct numerical integration (fallback path).

    Given the customer is alive, ``lambda ~ Gamma(r+x, alpha+T)`` and ``p ~ Beta(a, B)`` with
    ``B = b+x``, independently, and ``E[Y(t) | lambda, p] = (1 - exp(-lambda p t)) / p``.
    Integrating ``lambda`` analytically leaves ``E[h(p)]`` with the bounded integrand
    ``h(p) = (1 - (1 + p t/(alpha+T))^-(r+x)) / p``. In logit space ``v = log(p/(1-p))`` the
    integrand ``p^a (1-p)^B h(p)`` is smooth with exponentially decaying tails (rates ``a`` and
    ``B``), so the trapezoidal rule on a per-row window converges geometrically. Valid for
    every ``a > 0`` (no singularity at ``a = 1``) and any ``x``; slower than the closed form.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    tf, xf, Tf = (np.asarray(arr, dtype=np.float64).ravel() for arr in (t, x, T))
    out = np.empty(tf.size, dtype=np.float64)
    grid = np.linspace(0.0, 1.0, n_nodes)
    chunk = max(1, 4_000_000 // n_nodes)
    for s in range(0, tf.size, chunk):
        tt, xx, TT = tf[s : s + chunk, None], xf[s : s + chunk, None], Tf[s : s + chunk, None]
        B = b + xx
        centre = special.digamma(a) - special.digamma(B)  # E[logit p]
        sd = np.sqrt(special.polygamma(1, a) + special.polygamma(1, B))  # SD[logit p]
        lo = centre - 40.0 / a - 8.0 * sd
        hi = centre + 40.0 / B + 8.0 * sd
        v = lo + (hi - lo) * grid[None, :]
        log_p = special.log_expit(v)
        log_q = special.log_expit(-v)
        p = np.exp(log_p)
        log_dens = a * log_p + B * log_q  # p^(a-1) (1-p)^(B-1) dp/dv
        log_dens -= log_dens.max(axis=1, keepdims=True)
        dens = np.exp(log_dens)
        k = r + xx
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.expm1(-k * np.log1p(p * (tt / (alpha + TT)))) / p
        h = np.where(p > 0, h, k * tt / (alpha + TT))
        out[s : s + chunk] = (dens * h).sum(axis=1) / dens.sum(axis=1)
    return out.reshape(np.shape(t))


def _alive_expectation_closed(
    params: BgNbdParams, tt: FloatArray, xx: FloatArray, TT: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Closed form of :func:`_alive_expectation` and an estimate of its relative rounding error.

    NaN or out-of-range values flag entries where ``hyp2f1`` misbehaves. The error estimate
    accounts for the cancellation in ``1 - G`` (``G`` close to 1 when ``t`` is tiny or ``a``
    is close to 1).
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    c = a + b + xx - 1.0
    z = tt / (alpha + TT + tt)
    with np.errstate(all="ignore"):
        F = special.hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
        lg = (a - 1.0) * np.log1p(-z)
        G = np.exp(lg) * F
        one_minus_G = -np.expm1(lg) - np.exp(lg) * (F - 1.0)
        val = np.asarray(c / (a - 1.0) * one_minus_G, dtype=np.float64)
        rel_err = 4e-16 * (1.0 + np.abs(G)) / np.abs(one_minus_G)
    return val, np.where(tt > 0, rel_err, 0.0)


def _alive_expectation(params: BgNbdParams, t: ArrayLike, x: ArrayLike, T: ArrayLike) -> FloatArray:
    """``E[Y(t) | alive at T, x, T]``: expected purchases in ``(T, T+t]`` for a live customer.

    Closed form (FHL 2005 eq. 10 without the P(alive) factor), after Euler's transformation
    ``2F1(r+x, b+x; c; z) = (1-z)^(a-1-r-x) 2F1(a+b-1-r, a-1; c; z)`` which removes the
    ``(1-z)^-(r+x)`` blow-up for large ``x``:

        (c/(a-1)) * (1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)),   c = a+b+x-1, z = t/(alpha+T+t)

    At the removable singularity ``a = 1`` the average of the closed forms at ``a = 1 +- 2e-5``
    is used (error ~1e-8 relative). Entries where ``hyp2f1`` misbehaves (non-finite, outside
    the bounds ``0 <= E <= (r+x) t / (alpha+T)``, or with an estimated rounding error above
    1e-9 relative) use numerical integration instead.
    """
    tt, xx, TT = np.broadcast_arrays(
        np.asarray(t, dtype=np.float64), np.asarray(x, dtype=np.float64), np.asarray(T, dtype=np.float64)
    )
    if np.any(tt < 0):
        raise ValueError("prediction horizon t must be non-negative")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    upper = (r + xx) * tt / (alpha + TT)
    if abs(a - 1.0) < _A_ONE_TOL:
        lo, err_lo = _alive_expectation_closed(BgNbdParams(r, alpha, 1.0 - _A_ONE_STEP, b), tt, xx, TT)
        hi, err_hi = _alive_expectation_closed(BgNbdParams(r, alpha, 1.0 + _A_ONE_STEP, b), tt, xx, TT)
        val, rel_err = 0.5 * (lo + hi), np.maximum(err_lo, err_hi)
    else:
        val, rel_err = _alive_expectation_closed(params, tt, xx, TT)
    slack = 1e-8 * upper + 1e-300
    bad = ~np.isfinite(val) | (val < -slack) | (val > upper + slack) | ~(rel_err <= 1e-9)
    if np.any(bad):
        val = val.copy()
        val[bad] = _alive_expectation_quadrature(params, tt[bad], xx[bad], TT[bad])
    return np.clip(np.nan_to_num(val, nan=0.0), 0.0, upper)


def expected_purchases(
    params: BgNbdParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Conditional expected number of repeat purchases in ``(T, T + t]`` (FHL 2005 eq. 10).

    ``t`` may be a scalar or broadcast against the customer arrays.
    """
    xa, ta, Ta = _check_rft(x, t_x, T)
    tt = _as_float(t, "t")
    return _alive_expectation(params, tt, xa, Ta) * p_alive(params, xa, ta, Ta)


def expected_purchases_new(params: BgNbdParams, t: ArrayLike) -> FloatArray:
    """Unconditional expected repeat purchases ``E[X(t)]`` of a customer in their first ``t`` units.

    ``(a+b-1)/(a-1) (1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t)))`` (FHL 2005 eq. 9),
    evaluated with the same stabilised closed form / quadrature as :func:`expected_purchases`.
    """
    tt = _as_float(t, "t")
    return _alive_expectation(params, tt, np.zeros_like(tt), np.zeros_like(tt))


# --------------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------------


def _gg_rows(
    x: ArrayLike, m: ArrayLike, weights: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    xa, ma = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    xa, ma = xa.ravel(), ma.ravel()
    w = _weights(weights, xa.size)
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
    return _wsum(w, ll)


class _GammaGammaObjective:
    """Mean negative Gamma-Gamma log-likelihood and gradient in log-parameters."""

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        self.x, self.m, self.w = x, m, w
        self.sw = float(w.sum())
        self.lm, self.lx = np.log(m), np.log(x)
        self.mx = m * x
        self.c_p = _wsum(w, x * (self.lm + self.lx))
        self.c_lm = _wsum(w, self.lm)

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, v = np.exp(theta)
        x, w = self.x, self.w
        px = p * x
        lvmx = np.log(v + self.mx)
        ll = (
            _wsum(w, special.gammaln(px + q) - special.gammaln(px) - (px + q) * lvmx)
            - self.sw * (special.gammaln(q) - q * math.log(v))
            + p * self.c_p
            - self.c_lm
        )
        dg_pxq = special.digamma(px + q)
        g_p = _wsum(w, x * (dg_pxq - special.digamma(px) - lvmx)) + self.c_p
        g_q = _wsum(w, dg_pxq - lvmx) + self.sw * (math.log(v) - special.digamma(q))
        g_v = self.sw * q / v - _wsum(w, (px + q) / (v + self.mx))
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
    scale = _wsum(w, ma) / sw
    obj = _GammaGammaObjective(xa, ma / scale, w)
    starts = [np.log([p0, q0, (q0 - 1.0) / p0]) for p0, q0 in ((1.0, 2.0), (5.0, 4.0), (0.5, 1.5))]
    res, ok = _minimize(obj, starts, 3, maxiter, tol)
    p, q, v_s = (float(val) for val in np.exp(res.x))
    message = str(res.message)
    if np.any(np.abs(res.x) >= _LOG_BOUND - 1e-6):
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
        frequency_monetary_corr=_weighted_corr(xa, ma, w),
        frequency_monetary_spearman=_weighted_spearman(xa, ma, w),
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


# --------------------------------------------------------------------------------------------
# CLV
# --------------------------------------------------------------------------------------------


def _discounted_and_total(
    params: BgNbdParams,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    horizon: int,
    discount_rate_per_period: float,
    period_length: float,
) -> tuple[FloatArray, FloatArray]:
    """(discounted expected purchases, undiscounted expected purchases) over the horizon."""
    if horizon < 0 or int(horizon) != horizon:
        raise ValueError("horizon must be a non-negative whole number of periods")
    if not discount_rate_per_period > -1:
        raise ValueError("discount_rate_per_period must be > -1")
    if not period_length > 0:
        raise ValueError("period_length must be > 0")
    pa = p_alive(params, x, t_x, T)
    # The alive-conditional expectation depends on (x, T) only: evaluate it per distinct pair.
    xf, Tf = x.ravel(), T.ravel()
    if xf.size > 1000:
        codes = pd.DataFrame({"x": xf, "T": Tf}).groupby(["x", "T"], sort=False).ngroup().to_numpy()
        _, first = np.unique(codes, return_index=True)
        ux, uT = xf[first], Tf[first]
    else:
        codes, ux, uT = np.arange(xf.size), xf, Tf
    disc = np.zeros(ux.size)
    prev = np.zeros(ux.size)
    for k in range(1, int(horizon) + 1):
        cum = _alive_expectation(params, k * period_length, ux, uT)
        cum = np.maximum(cum, prev)  # cumulative expectations are non-decreasing
        disc += (cum - prev) / (1.0 + discount_rate_per_period) ** k
        prev = cum
    shape = x.shape
    return (disc[codes] * pa.ravel()).reshape(shape), (prev[codes] * pa.ravel()).reshape(shape)


def discounted_expected_purchases(
    params: BgNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    horizon: int,
    discount_rate_per_period: float,
    *,
    period_length: float = 1.0,
) -> FloatArray:
    """``sum_{k=1..H} (E[Y(kL)] - E[Y((k-1)L)]) / (1+d)^k``: discounted expected purchases."""
    xa, ta, Ta = _check_rft(x, t_x, T)
    return _discounted_and_total(params, xa, ta, Ta, horizon, discount_rate_per_period, period_length)[0]


def clv(
    bg: BgNbdParams,
    gg: GammaGammaParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    m: ArrayLike,
    horizon: int,
    discount_rate_per_period: float,
    *,
    period_length: float = 1.0,
    margin: float = 1.0,
) -> FloatArray:
    """Customer lifetime value over ``horizon`` periods of ``period_length`` time units.

    Expected purchases in each period (difference of cumulative conditional expectations)
    times the Gamma-Gamma expected value, discounted by ``(1 + d)^k`` at the end of period ``k``,
    times ``margin``. Customers with ``x == 0`` are valued at the population mean spend
    (``inf`` if ``q <= 1``: use :func:`fit_and_score` for a guarded version).
    """
    xa, ta, Ta = _check_rft(x, t_x, T)
    value = expected_average_value(gg, xa, np.broadcast_to(np.asarray(m, dtype=np.float64), xa.shape))
    disc = _discounted_and_total(bg, xa, ta, Ta, horizon, discount_rate_per_period, period_length)[0]
    with np.errstate(invalid="ignore"):
        out = margin * value * disc
    return np.where(disc == 0, 0.0, out)


# --------------------------------------------------------------------------------------------
# Holdout calibration
# --------------------------------------------------------------------------------------------


def _bucket_masks(x: FloatArray, buckets: Sequence[int | str]) -> list[tuple[str, npt.NDArray[np.bool_]]]:
    out = []
    for bucket in buckets:
        if isinstance(bucket, str):
            text = bucket.strip()
            if not text.endswith("+"):
                raise ValueError(f"bucket {bucket!r}: strings must look like '6+'")
            out.append((text, x >= float(text[:-1])))
        else:
            out.append((str(int(bucket)), x == float(bucket)))
    return out


def calibration_holdout_table(
    params: BgNbdParams,
    x_cal: ArrayLike,
    t_x_cal: ArrayLike,
    T_cal: ArrayLike,
    actual_holdout: ArrayLike,
    holdout_length: ArrayLike,
    buckets: Sequence[int | str] = (0, 1, 2, 3, 4, 5, "6+"),
) -> pd.DataFrame:
    """Predicted vs actual holdout purchases per calibration-frequency bucket.

    Columns: ``bucket`` (``"0"``, ..., ``"6+"``, ``"total"``), ``n_customers``, ``predicted`` and
    ``actual`` (mean holdout repeat purchases per customer), ``error`` (predicted - actual),
    ``abs_pct_error`` (``|error| / actual``, NaN when actual is 0), ``predicted_total`` and
    ``actual_total`` (sums). The total row covers every customer, including any not in a bucket.
    """
    xa, ta, Ta = _check_rft(x_cal, t_x_cal, T_cal)
    actual = np.broadcast_to(_as_float(actual_holdout, "actual_holdout"), xa.shape).ravel()
    pred = expected_purchases(params, holdout_length, xa, ta, Ta)
    pred = np.broadcast_to(pred, xa.shape).ravel()
    xf = xa.ravel()
    rows = []
    for label, mask in _bucket_masks(xf, buckets) + [("total", np.ones(xf.size, dtype=bool))]:
        n = int(mask.sum())
        pt, at = float(pred[mask].sum()), float(actual[mask].sum())
        pm = pt / n if n else math.nan
        am = at / n if n else math.nan
        err = pm - am
        rows.append(
            {
                "bucket": label,
                "n_customers": n,
                "predicted": pm,
                "actual": am,
                "error": err,
                "abs_pct_error": abs(err) / am if n and am > 0 else math.nan,
                "predicted_total": pt,
                "actual_total": at,
            }
        )
    return pd.DataFrame(rows)


def holdout_errors(
    params: BgNbdParams,
    x_cal: ArrayLike,
    t_x_cal: ArrayLike,
    T_cal: ArrayLike,
    actual_holdout: ArrayLike,
    holdout_length: ArrayLike,
) -> dict[str, float]:
    """Aggregate holdout accuracy of the conditional expectations.

    Keys: ``total_predicted``, ``total_actual``, ``pct_error`` ((predicted - actual) / actual),
    ``mae_per_customer``, ``rmse``, ``correlation`` (Pearson, per customer), ``n_customers``.
    """
    xa, ta, Ta = _check_rft(x_cal, t_x_cal, T_cal)
    actual = np.broadcast_to(_as_float(actual_holdout, "actual_holdout"), xa.shape).ravel()
    pred = np.broadcast_to(expected_purchases(params, holdout_length, xa, ta, Ta), xa.shape).ravel()
    tp, ta_ = float(pred.sum()), float(actual.sum())
    diff = pred - actual
    n = pred.size
    return {
        "total_predicted": tp,
        "total_actual": ta_,
        "pct_error": (tp - ta_) / ta_ if ta_ > 0 else math.nan,
        "mae_per_customer": float(np.mean(np.abs(diff))) if n else math.nan,
        "rmse": float(np.sqrt(np.mean(diff**2))) if n else math.nan,
        "correlation": _weighted_corr(pred, actual, np.ones(n)) if n > 1 else math.nan,
        "n_customers": float(n),
    }


# --------------------------------------------------------------------------------------------
# End-to-end scoring with fallbacks
# --------------------------------------------------------------------------------------------


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
    warnings: list[str] = []
    diag: dict[str, Any] = {
        "n_customers": int(len(summary)),
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
        "warnings": warnings,
    }
    x, t_x, T, m, n_cleaned = _clean_summary(summary, cols)
    diag["n_rows_cleaned"] = n_cleaned
    if n_cleaned:
        warnings.append(f"{n_cleaned} rows had missing or inconsistent values and were coerced")
    n = x.size
    repeat = x > 0
    n_repeat = int(repeat.sum())
    diag["n_repeat_buyers"] = n_repeat
    horizon_t = int(horizon) * float(period_length)

    # ---------------- purchases (BG/NBD) ----------------
    bg: BgNbdParams | None = None
    pa = np.ones(n)
    exp_p = np.zeros(n)
    disc_p = np.zeros(n)
    if n == 0:
        diag["bgnbd_status"] = "fallback_empty"
        warnings.append("empty summary: nothing to fit")
    elif n_repeat == 0 or not np.any(T > 0):
        diag["bgnbd_status"] = "fallback_no_repeat"
        warnings.append("no repeat purchases: BG/NBD not identifiable; expected purchases set to 0")
    else:
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
                bg, x, t_x, T, (codes, first), int(horizon), discount_rate, period_length
            )
            diag["bgnbd_status"] = "ok" if fit.converged else "not_converged"
            if not fit.converged:
                warnings.append(f"BG/NBD fit did not converge ({fit.message}); using best parameters found")
        except Exception as exc:  # any failure degrades to the fallback model
            bg = None
            diag["bgnbd_status"] = "fallback_fit_failed"
            warnings.append(f"BG/NBD fit failed ({type(exc).__name__}: {exc}); using Gamma-Poisson rates")
            x_bar, T_bar = float(x.mean()), float(T.mean())
            rate = (x + 1.0) / (T + T_bar / max(x_bar, 1e-12))
            pa = np.ones(n)
            exp_p = rate * horizon_t
            d = 1.0 / (1.0 + discount_rate) ** np.arange(1, int(horizon) + 1)
            disc_p = rate * float(period_length) * float(d.sum())

    # ---------------- spend (Gamma-Gamma) ----------------
    usable = repeat & (m > 0)
    n_usable = int(usable.sum())
    value = np.zeros(n)
    m_bar = _wsum(x[usable], m[usable]) / x[usable].sum() if n_usable else 0.0
    gg_ok = False
    if n_usable < max(int(min_repeat_buyers_gg), 2):
        diag["gg_status"] = "fallback_too_few_repeat_buyers"
        warnings.append(
            f"only {n_usable} repeat buyers with positive spend (< {min_repeat_buyers_gg}): "
            "Gamma-Gamma not fitted; using shrunk empirical mean spend"
        )
    else:
        try:
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
            gg_ok = True
        except Exception as exc:
            diag["gg_status"] = "fallback_fit_failed"
            warnings.append(
                f"Gamma-Gamma unusable ({type(exc).__name__}: {exc}); using shrunk empirical mean spend"
            )
    if not gg_ok:
        value = (x * m + m_bar) / (x + 1.0)
        diag["population_mean_value"] = m_bar

    return _score_frame(summary[customer_col], customer_col, pa, exp_p, disc_p, value, margin), diag


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
    u_disc, u_exp = _discounted_and_total(bg, ux, ut, uT, horizon, discount_rate, period_length)
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


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------


def _simulate(
    n: int, r: float, alpha: float, a: float, b: float, T_cal: ArrayLike, holdout: ArrayLike, seed: int | None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    rng = np.random.default_rng(seed)
    Tc = np.broadcast_to(np.asarray(T_cal, dtype=np.float64), (n,)).copy()
    H = np.broadcast_to(np.asarray(holdout, dtype=np.float64), (n,))
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = np.clip(rng.beta(a, b, n), 1e-12, 1.0)
    J = rng.geometric(p)  # the repeat purchase after which the customer drops out (>= 1)
    n_cal = rng.poisson(lam * Tc)
    n_hold = rng.poisson(lam * H)
    x = np.minimum(n_cal, J)
    # Given n_cal Poisson arrivals in (0, T], the x-th arrival time is T * Beta(x, n_cal - x + 1).
    t_x = np.zeros(n)
    pos = x > 0
    t_x[pos] = Tc[pos] * rng.beta(x[pos], n_cal[pos] - x[pos] + 1)
    x_hold = np.minimum(n_hold, np.maximum(J - n_cal, 0))
    return x.astype(np.float64), t_x, Tc, x_hold.astype(np.float64)


def simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, T: ArrayLike, seed: int | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Simulate ``(x, t_x, T)`` for ``n`` customers from the BG/NBD process.

    ``lambda ~ Gamma(r, scale 1/alpha)``, ``p ~ Beta(a, b)``; repeat purchases are Poisson with
    rate ``lambda``, and after each repeat purchase the customer dies with probability ``p``.
    ``T`` is a scalar or a length-``n`` array of ages.
    """
    x, t_x, Tc, _ = _simulate(n, r, alpha, a, b, T, 0.0, seed)
    return x, t_x, Tc


def simulate_bgnbd_holdout(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T_cal: ArrayLike,
    holdout_length: ArrayLike,
    seed: int | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Simulate a calibration window and the following holdout window from the same process.

    Returns ``(x_cal, t_x_cal, T_cal, x_holdout)`` with ``x_holdout`` the repeat purchases in
    ``(T_cal, T_cal + holdout_length]``.
    """
    return _simulate(n, r, alpha, a, b, T_cal, holdout_length, seed)


def simulate_gamma_gamma(x: ArrayLike, p: float, q: float, v: float, seed: int | None = None) -> FloatArray:
    """Simulate the mean repeat-transaction value per customer under Gamma-Gamma.

    ``nu ~ Gamma(q, scale 1/v)`` per customer and the mean of ``x`` values ``Gamma(p, scale 1/nu)``
    is ``Gamma(p x, scale 1/(nu x))``. Customers with ``x == 0`` get 0 (no repeat transactions).
    """
    rng = np.random.default_rng(seed)
    xa = np.asarray(x, dtype=np.float64).ravel()
    nu = rng.gamma(q, 1.0 / v, xa.size)
    out = np.zeros(xa.size)
    pos = xa > 0
    out[pos] = rng.gamma(p * xa[pos], 1.0 / (nu[pos] * xa[pos]))
    return out
