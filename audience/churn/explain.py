"""Per-person explanations of churn probabilities: how much each feature moved the prediction."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def column_medians(X: np.ndarray) -> np.ndarray:
    """Median of each column ignoring NaN (NaN for an all-NaN column), without warnings."""
    out = np.full(X.shape[1], np.nan)
    for j in range(X.shape[1]):
        col = X[:, j]
        col = col[np.isfinite(col)]
        if col.size:
            out[j] = float(np.median(col))
    return out


def feature_contributions(
    predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, baseline: np.ndarray
) -> np.ndarray:
    """Per row and feature: how much the row's own value moved the prediction.

    ``contribution[i, j] = predict(X)[i] - predict(X with column j set to baseline[j])[i]``:
    the change in churn probability caused by the person's value of feature ``j`` compared with
    a typical value (the training median). Model-agnostic (works for the logistic pipeline and
    for gradient boosting alike) and exact for what the model does with one feature at a time;
    interactions are not split up.
    """
    X = np.asarray(X, dtype=np.float64)
    base = predict(X)
    out = np.zeros_like(X)
    for j in range(X.shape[1]):
        # rows already at the baseline value would be predicted unchanged (contribution 0):
        # only the others are predicted again (count features are mostly at their median)
        changed = ~((X[:, j] == baseline[j]) | (np.isnan(X[:, j]) & np.isnan(baseline[j])))
        if not changed.any():
            continue
        Xj = X[changed].copy()
        Xj[:, j] = baseline[j]
        out[changed, j] = base[changed] - predict(Xj)
    return out


def top_contributions(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    features: Sequence[str],
    baseline: np.ndarray,
    top: int = 3,
    min_abs: float = 0.005,
) -> list[str]:
    """Text per row: the ``top`` features with the largest absolute contribution.

    E.g. ``"recency_days +0.21, sessions_90d -0.08"`` (probability points; + raises the churn
    risk). Contributions below ``min_abs`` are left out; a row with none reads ``"none"``.
    """
    if X.shape[0] == 0:
        return []
    contrib = feature_contributions(predict, X, baseline)
    order = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :top]
    texts = []
    for i in range(X.shape[0]):
        parts = [f"{features[j]} {contrib[i, j]:+.2f}" for j in order[i] if abs(contrib[i, j]) >= min_abs]
        texts.append(", ".join(parts) if parts else "none")
    return texts
