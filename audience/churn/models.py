"""The churn candidate models: construction, feasibility on the data, fitting and prediction."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from audience.churn.features import (
    FittingData,
    SkewedLog1p,
)
from audience.churn.settings import (
    HGB,
    LOGISTIC,
    RECENCY_BASELINE,
    ChurnSettings,
)

_SCORE_CHUNK_ROWS = 500_000


def _logistic_pipeline(settings: ChurnSettings) -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("log1p", SkewedLog1p(skew_threshold=settings.skew_threshold)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=settings.logistic_c, max_iter=1000)),
        ]
    )


def _baseline_pipeline(settings: ChurnSettings) -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("log1p", SkewedLog1p(skew_threshold=-math.inf)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=settings.logistic_c, max_iter=1000)),
        ]
    )


def _hgb(settings: ChurnSettings, n_rows: int, seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=settings.hgb_learning_rate,
        max_iter=settings.hgb_max_iter,
        max_leaf_nodes=settings.hgb_max_leaf_nodes,
        min_samples_leaf=int(min(settings.hgb_min_samples_leaf, max(5, n_rows // 20))),
        l2_regularization=settings.hgb_l2_regularization,
        early_stopping=False,
        random_state=seed,
    )


def _label_problem(n: int, positives: int) -> str | None:
    """Why no model can learn from `n` labels with `positives` churners, or None."""
    if n == 0:
        return "no_labels"
    if positives in (0, n):
        return "single_class"
    return None


def learned_infeasible(fit: FittingData, settings: ChurnSettings) -> str | None:
    """Why the learned models cannot be fitted on ``fit``, or None if they can."""
    n = fit.y.size
    positives = int(fit.y.sum())
    if problem := _label_problem(n, positives):
        return problem
    if n < settings.min_train_rows:
        return "tiny_data"
    if min(positives, n - positives) < settings.min_class_rows:
        return "rare_class"
    if not fit.features:
        return "no_usable_features"
    return None


def baseline_infeasible(fit: FittingData, settings: ChurnSettings) -> str | None:
    n = fit.y.size
    positives = int(fit.y.sum())
    if problem := _label_problem(n, positives):
        return problem
    if np.all(np.isnan(fit.recency)):
        return "baseline_column_missing"
    if n < settings.min_baseline_rows or min(positives, n - positives) < 2:
        return "tiny_data"
    return None


@contextmanager
def _thread_limit(n_rows: int, settings: ChurnSettings) -> Iterator[None]:
    limit = settings.n_threads
    if limit is None and n_rows < settings.single_thread_below_rows:
        limit = 1
    if limit is None:
        yield
    else:
        with threadpool_limits(limits=limit):
            yield


def fit_model(name: str, fit: FittingData, settings: ChurnSettings, seed: int) -> tuple[Any, list[str]]:
    """Fit one model; returns the estimator and any warning messages raised while fitting."""
    with warnings.catch_warnings(record=True) as caught, _thread_limit(fit.y.size, settings):
        warnings.simplefilter("always")
        if name == LOGISTIC:
            model: Any = _logistic_pipeline(settings).fit(fit.X, fit.y)
        elif name == HGB:
            model = _hgb(settings, fit.y.size, seed).fit(fit.X, fit.y)
        elif name == RECENCY_BASELINE:
            model = _baseline_pipeline(settings).fit(fit.recency, fit.y)
        else:  # pragma: no cover - guarded by callers
            raise ValueError(name)
    return model, sorted({f"{w.category.__name__}: {w.message}" for w in caught})


def predict_proba(model: Any, X: np.ndarray, settings: ChurnSettings) -> np.ndarray:
    """Positive-class probabilities, in chunks to bound memory on very large frames."""
    if X.shape[0] == 0:
        return np.empty(0, dtype=np.float64)
    with _thread_limit(X.shape[0], settings):
        parts = [
            model.predict_proba(X[start : start + _SCORE_CHUNK_ROWS])[:, 1]
            for start in range(0, X.shape[0], _SCORE_CHUNK_ROWS)
        ]
    return np.clip(np.concatenate(parts).astype(np.float64), 0.0, 1.0)


def baseline_slope(model: Any) -> float:
    return float(model.named_steps["model"].coef_.ravel()[0])


def logistic_coefficients(model: Pipeline, features: list[str]) -> dict[str, float]:
    """Standardised coefficients of the logistic pipeline, keyed by feature (and ``missing_*``)."""
    imputer: SimpleImputer = model.named_steps["impute"]
    names = list(features)
    if imputer.indicator_ is not None:
        names += [f"missing_{features[i]}" for i in imputer.indicator_.features_]
    coefs = model.named_steps["model"].coef_.ravel()
    return {n: float(c) for n, c in zip(names, coefs, strict=True)}
