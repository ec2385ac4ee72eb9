"""Customer lifetime value: discounted expected purchases over a horizon times expected spend."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audience.clv.bgnbd_predict import alive_expectation, p_alive
from audience.clv.gamma_gamma import expected_average_value
from audience.clv.numerics import (
    ArrayLike,
    FloatArray,
    check_rft,
)
from audience.clv.params import BgNbdParams, GammaGammaParams


def discounted_and_total(
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
        cum = alive_expectation(params, k * period_length, ux, uT)
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
    xa, ta, Ta = check_rft(x, t_x, T)
    return discounted_and_total(params, xa, ta, Ta, horizon, discount_rate_per_period, period_length)[0]


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
    xa, ta, Ta = check_rft(x, t_x, T)
    value = expected_average_value(gg, xa, np.broadcast_to(np.asarray(m, dtype=np.float64), xa.shape))
    disc = discounted_and_total(bg, xa, ta, Ta, horizon, discount_rate_per_period, period_length)[0]
    with np.errstate(invalid="ignore"):
        out = margin * value * disc
    return np.where(disc == 0, 0.0, out)
