"""Simulation of the BG/NBD and Gamma-Gamma processes, for tests against known parameters."""

from __future__ import annotations

import numpy as np

from audience.clv.numerics import (
    ArrayLike,
    FloatArray,
)


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
