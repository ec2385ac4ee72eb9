"""Numerical helpers shared by the CLV models: input checks, weighted sums and correlations,
and the multi-start L-BFGS-B minimiser on log-parameters.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize
from scipy.stats import rankdata

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


try:  # optional: keep BLAS single-threaded inside the tiny L-BFGS-B updates
    from threadpoolctl import threadpool_limits as _threadpool_limits
except ImportError:  # pragma: no cover
    _threadpool_limits = None


def single_thread_blas() -> contextlib.AbstractContextManager[Any]:
    # Threaded BLAS busy-waits on small vectors; on shared cores that costs ~10x the fit time.
    if _threadpool_limits is None:
        return contextlib.nullcontext()
    return _threadpool_limits(limits=1, user_api="blas")


LOG_BOUND = 16.0  # bounds on log-parameters (in rescaled units): exp(+-16) ~ 9e6 / 1e-7


def as_float(values: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_rft(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate and broadcast frequency, recency and age arrays."""
    xa, ta, Ta = np.broadcast_arrays(as_float(x, "x"), as_float(t_x, "t_x"), as_float(T, "T"))
    if np.any(xa < 0) or np.any(xa != np.round(xa)):
        raise ValueError("frequency x must be non-negative integers")
    if np.any(ta < 0) or np.any(Ta < 0):
        raise ValueError("recency t_x and age T must be non-negative")
    if np.any(ta > Ta * (1 + 1e-9) + 1e-12):
        raise ValueError("recency t_x must not exceed age T")
    return xa.astype(np.float64), np.minimum(ta, Ta).astype(np.float64), Ta.astype(np.float64)


def row_weights(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = np.broadcast_to(as_float(weights, "weights"), (n,)).astype(np.float64)
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    return w


def wsum(w: FloatArray, v: FloatArray) -> float:
    """Weighted sum ``sum(w * v)``; avoids BLAS ``dot`` (threaded BLAS busy-waits on shared cores)."""
    return float(np.sum(np.multiply(w, v)))


def weighted_corr(x: FloatArray, y: FloatArray, w: FloatArray) -> float:
    sw = w.sum()
    if sw <= 0 or x.size < 2:
        return math.nan
    mx, my = (w * x).sum() / sw, (w * y).sum() / sw
    cov = (w * (x - mx) * (y - my)).sum()
    vx, vy = (w * (x - mx) ** 2).sum(), (w * (y - my) ** 2).sum()
    if vx <= 0 or vy <= 0:
        return math.nan
    return float(cov / math.sqrt(vx * vy))


def weighted_spearman(x: FloatArray, y: FloatArray, w: FloatArray) -> float:
    return weighted_corr(rankdata(x), rankdata(y), w)


def minimize_from_starts(
    fun: Any, starts: Sequence[FloatArray], n_params: int, maxiter: int, tol: float
) -> tuple[Any, bool]:
    """Run L-BFGS-B from the first start; try the others if it does not converge; keep the best."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * n_params
    best = None
    best_ok = False
    for i, start in enumerate(starts):
        with single_thread_blas():
            res = optimize.minimize(
                fun,
                np.clip(np.asarray(start, dtype=np.float64), -LOG_BOUND + 1, LOG_BOUND - 1),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": maxiter, "ftol": tol, "gtol": 1e-8},
            )
        # A line-search stop right at the optimum is common with tight tolerances: accept it
        # when the projected gradient is negligible.
        _, g = fun(res.x)
        at_lo = (res.x <= -LOG_BOUND + 1e-9) & (g > 0)
        at_hi = (res.x >= LOG_BOUND - 1e-9) & (g < 0)
        pg = np.where(at_lo | at_hi, 0.0, g)
        ok = bool(res.success) or bool(np.max(np.abs(pg)) < 1e-5)
        if best is None or (np.isfinite(res.fun) and res.fun < best.fun - 1e-12):
            best, best_ok = res, ok
        if ok and i == 0:
            break
    assert best is not None
    return best, best_ok
