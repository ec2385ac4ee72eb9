"""Distribution summaries and the symmetric log axis of the report's box plots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BoxStats:
    """Distribution summary drawn by a box plot (whiskers at the 5th and 95th percentile)."""

    n: int
    mean: float
    p05: float
    q1: float
    median: float
    q3: float
    p95: float
    minimum: float
    maximum: float


def box_stats(values: Sequence[float]) -> BoxStats:
    """Summary of the finite values (linear-interpolated percentiles); raises on no values."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        raise ValueError("box_stats needs at least one finite value")
    p05, q1, med, q3, p95 = np.percentile(arr, [5, 25, 50, 75, 95])
    return BoxStats(
        int(arr.size),
        float(arr.mean()),
        float(p05),
        float(q1),
        float(med),
        float(q3),
        float(p95),
        float(arr.min()),
        float(arr.max()),
    )


def symlog(value: float) -> float:
    """log10(1 + |v|) with the sign of v: logarithmic for large values, 0 at 0, defined for v <= 0."""
    v = float(value)
    return math.copysign(math.log10(1 + abs(v)), v)


def symlog_inverse(value: float) -> float:
    """The value whose :func:`symlog` is `value`."""
    v = float(value)
    return math.copysign(10 ** abs(v) - 1, v)


def _step125(a: float, up: bool) -> float:
    """The nearest 1, 2 or 5 x 10^k at or above (`up`) or at or below `a` > 0."""
    mag = 10 ** math.floor(math.log10(a))
    steps = [m * mag for m in (1, 2, 5, 10)]
    if up:
        return next(v for v in steps if v >= a * (1 - 1e-12))
    return max(v for v in steps if v <= a * (1 + 1e-12))


def log_domain(values: Sequence[float]) -> tuple[float, float]:
    """Bounds of a :func:`symlog` axis over `values`, rounded out to 1, 2 or 5 x 10^k (or 0).

    The lower bound is 0 when the smallest value is in [0, 1), as for CLV: the axis then starts
    at "nothing" and, being log10(1 + v), still spreads 1 to 10,000 evenly."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return (0.0, 1.0)
    lo, hi = min(finite), max(finite)

    def out(v: float, up: bool) -> float:
        if v == 0:
            return 0.0
        if v > 0:
            return _step125(v, up) if up or v >= 1 else 0.0
        return -out(-v, not up)

    lo, hi = out(lo, up=False), out(hi, up=True)
    if hi <= lo:
        hi = lo + 1.0 if lo >= 0 else 0.0
    return (lo, hi)


def log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks of a :func:`symlog` axis on [lo, hi]: 0 and powers of ten (and 2 and 5 x 10^k when
    it spans under three decades), plus both bounds."""
    lo, hi = float(lo), float(hi)
    if hi < lo:
        lo, hi = hi, lo
    dense = symlog(hi) - symlog(lo) < 3
    top = max(abs(lo), abs(hi), 1.0)
    magnitudes = [0.0]
    k = 0
    while 10**k <= top:
        magnitudes += [m * 10**k for m in ((1, 2, 5) if dense else (1,))]
        k += 1
    candidates = {m for m in magnitudes} | {-m for m in magnitudes} | {lo, hi}
    return sorted(v for v in candidates if lo <= v <= hi)
