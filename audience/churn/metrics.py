"""Metrics of churn probabilities: AUC, PR-AUC, Brier score and top-group lift."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def top_decile_lift(y_true: Any, y_score: Any, fraction: float = 0.1) -> float:
    """Churn rate among the ``fraction`` highest scores divided by the overall churn rate.

    The top group has ``k = ceil(fraction * n)`` rows (at least 1). Ties at the boundary are
    shared out fairly: when ``r`` of the ``m`` rows tied at the k-th highest score are needed to
    fill the group, each tied row counts with weight ``r / m`` (the expected result of breaking
    the tie at random), so the value does not depend on row order. Rows whose label or score is
    missing are ignored. Returns NaN when there are no rows or no churners.

    Example: labels ``[1, 0, 1, 0, 0, 0, 0, 0, 0, 0]``, scores ``[.9, .8, .1, ...]`` and
    ``fraction=0.2`` give ``k = 2``, top-group rate ``1/2``, base rate ``2/10``, lift ``2.5``.
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_true and y_score differ in length: {y.size} vs {s.size}")
    ok = np.isfinite(y) & np.isfinite(s)
    y, s = y[ok], s[ok]
    n = y.size
    if n == 0 or not 0 < fraction <= 1:
        return float("nan")
    base = float(y.mean())
    if base <= 0:
        return float("nan")
    k = max(1, math.ceil(fraction * n - 1e-9))
    threshold = np.partition(s, n - k)[n - k]  # k-th highest score
    above = s > threshold
    tied = s == threshold
    need = k - int(above.sum())
    positives = float(y[above].sum()) + float(y[tied].sum()) * need / int(tied.sum())
    return (positives / k) / base


def score_metrics(y_true: Any, y_prob: Any, top_fraction: float = 0.1) -> dict[str, float]:
    """AUC, PR-AUC (average precision), Brier score and top-group lift of probabilities.

    Undefined values (single class, no rows) are NaN rather than errors.
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_prob, dtype=np.float64).ravel()
    ok = np.isfinite(y) & np.isfinite(p)
    y, p = y[ok], p[ok]
    out = {"auc": float("nan"), "pr_auc": float("nan"), "brier": float("nan")}
    if y.size:
        out["brier"] = float(brier_score_loss(y.astype(np.int8), np.clip(p, 0.0, 1.0)))
        if 0 < y.sum() < y.size:
            out["auc"] = float(roc_auc_score(y, p))
            out["pr_auc"] = float(average_precision_score(y, p))
    out["top_decile_lift"] = float(top_decile_lift(y, p, fraction=top_fraction))
    return out
