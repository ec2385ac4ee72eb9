"""Final fit: refit the selected churn model on ``train`` + ``valid``, degrading along its
fallback chain when the data cannot support it, and score the current customers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from audience.churn.explain import column_medians, top_contributions
from audience.churn.features import (
    FittingData,
    feature_matrix,
    fitting_flags,
    prepare_fitting,
    resolve_features,
)
from audience.churn.models import (
    baseline_infeasible,
    fit_model,
    learned_infeasible,
    logistic_coefficients,
    predict_proba,
)
from audience.churn.settings import (
    BASE_RATE,
    CHURN_EXPLANATION_COLUMN,
    FALLBACK_CHAIN,
    LEARNED_MODELS,
    LOGISTIC,
    MODEL_NAMES,
    RECENCY_BASELINE,
    SCORE_COLUMNS_SUFFIX,
    ChurnSettings,
)


def run_final_fit(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    current: pd.DataFrame,
    features: Iterable[str] | None,
    best_name: str,
    seed: int,
    label_col: str,
    baseline_col: str,
    id_col: str,
    settings: ChurnSettings,
    explain: int = 0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Refit ``best_name`` (or its fallback) on ``train`` + ``valid`` and score ``current``:
    ``(scores, diagnostics)`` as documented in :func:`fit_final_and_score`."""
    if best_name not in FALLBACK_CHAIN:
        raise ValueError(f"unknown model {best_name!r}; expected one of {MODEL_NAMES}")
    t_start = time.perf_counter()
    present, info = resolve_features(features, [train, valid], label_col, id_col)
    fit = prepare_fitting([train, valid], present, label_col, baseline_col, settings.max_train_rows, seed)
    t_prepared = time.perf_counter()
    flags = fitting_flags(info, fit)
    fit_base_rate = float(fit.y.mean()) if fit.y.size else float("nan")

    method, model, fallback_reasons, fit_warnings = _fit_with_fallback(
        fit, best_name, baseline_col, current, settings, seed, flags
    )
    fallback = method != best_name
    t_fitted = time.perf_counter()

    probs = _predict_current(method, model, fit, current, baseline_col, fit_base_rate, settings)
    missing_in_current: list[str] = []
    if method in LEARNED_MODELS:
        missing_in_current = [f for f in fit.features if f not in current.columns]
    if missing_in_current:
        flags.add("features_missing_in_current")
    t_scored = time.perf_counter()

    scores = _score_table(current, id_col, probs, method, flags)
    if explain > 0:
        scores[CHURN_EXPLANATION_COLUMN] = _explanations(
            method, model, fit, current, baseline_col, settings, explain
        )
    if id_col in current.columns and current[id_col].duplicated().any():
        flags.add("duplicate_ids_in_current")

    diagnostics: dict[str, Any] = {
        "requested_model": best_name,
        "method": method,
        "fallback": fallback,
        "fallback_reason": "; ".join(fallback_reasons) or None,
        "features_requested": info["requested"],
        "features_used": list(fit.features)
        if method in LEARNED_MODELS
        else ([baseline_col] if method == RECENCY_BASELINE else []),
        "missing_features": info["missing"],
        "excluded_features": info["excluded"],
        "all_null_features": fit.all_null,
        "features_missing_in_current": missing_in_current,
        "n_fit_labelled": fit.n_labelled,
        "n_fit": int(fit.y.size),
        "n_fit_unlabelled": fit.n_unlabelled,
        "n_current": len(current),
        "fit_base_rate": fit_base_rate,
        "mean_churn_probability": _nanmean(probs),
        "fit_warnings": fit_warnings,
        "flags": sorted(flags),
        "timings_s": {
            "prepare": t_prepared - t_start,
            "fit": t_fitted - t_prepared,
            "score": t_scored - t_fitted,
            "total": time.perf_counter() - t_start,
        },
    }
    if method == LOGISTIC:
        diagnostics["logistic_coefficients"] = logistic_coefficients(model, fit.features)
    return scores, diagnostics


def _fit_with_fallback(
    fit: FittingData,
    best_name: str,
    baseline_col: str,
    current: pd.DataFrame,
    settings: ChurnSettings,
    seed: int,
    flags: set[str],
) -> tuple[str, Any, list[str], list[str]]:
    """Fit the first model of the fallback chain of ``best_name`` the data supports:
    (method, fitted model or None, why each earlier model was skipped, fit warnings).
    Adds the reasons, ``fallback`` and ``fit_warnings`` to ``flags``."""
    method = BASE_RATE
    model: Any = None
    fallback_reasons: list[str] = []
    fit_warnings: list[str] = []
    for name in FALLBACK_CHAIN[best_name]:
        if name == BASE_RATE:
            method = BASE_RATE
            if not fit.y.size:
                flags.add("no_labels")
            break
        if name in LEARNED_MODELS:
            reason = learned_infeasible(fit, settings)
        else:
            reason = baseline_infeasible(fit, settings)
            if reason is None and baseline_col not in current.columns:
                reason = "baseline_column_missing_in_current"
        if reason is None:
            try:
                model, fit_warnings = fit_model(name, fit, settings, seed)
            except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
                reason = f"fit_failed: {type(exc).__name__}: {exc}"
        if reason is None:
            method = name
            break
        fallback_reasons.append(f"{name}: {reason}")
        flags.add(reason.split(":")[0])
    if method != best_name:
        flags.add("fallback")
    if fit_warnings:
        flags.add("fit_warnings")
    return method, model, fallback_reasons, fit_warnings


def _predict_current(
    method: str,
    model: Any,
    fit: FittingData,
    current: pd.DataFrame,
    baseline_col: str,
    fit_base_rate: float,
    settings: ChurnSettings,
) -> np.ndarray:
    """Churn probability of every row of ``current`` under ``method`` (the base rate without a model)."""
    if method in LEARNED_MODELS:
        return predict_proba(model, feature_matrix(current, fit.features), settings)
    if method == RECENCY_BASELINE:
        return predict_proba(model, feature_matrix(current, [baseline_col]), settings)
    return np.full(len(current), fit_base_rate, dtype=np.float64)


def _score_table(
    current: pd.DataFrame, id_col: str, probs: np.ndarray, method: str, flags: set[str]
) -> pd.DataFrame:
    """One row per row of ``current``: the key, the probability and the method used."""
    if id_col in current.columns:
        ids = current[id_col].reset_index(drop=True)  # keeps the key's dtype
    else:
        ids = pd.Series(current.index, dtype=current.index.dtype)
        flags.add("id_column_missing")
    return pd.DataFrame(
        {id_col: ids, "churn_probability": probs, "churn_model": method},
        columns=[id_col, *SCORE_COLUMNS_SUFFIX],
    )


def _explanations(
    method: str,
    model: Any,
    fit: FittingData,
    current: pd.DataFrame,
    baseline_col: str,
    settings: ChurnSettings,
    explain: int,
) -> list[str] | str:
    """The explanation column: top feature contributions for a learned model, else a constant."""
    if method in LEARNED_MODELS:
        Xc = feature_matrix(current, fit.features)
        return top_contributions(
            lambda X: predict_proba(model, X, settings), Xc, fit.features, column_medians(fit.X), explain
        )
    if method == RECENCY_BASELINE:
        return f"{baseline_col} (recency baseline)"
    return "base rate (no model)"


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def fit_final_and_score(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    current: pd.DataFrame,
    features: Iterable[str] | None,
    best_name: str,
    seed: int = 0,
    *,
    label_col: str = "churned",
    baseline_col: str = "recency_days",
    id_col: str = "person_id",
    settings: ChurnSettings | None = None,
    explain: int = 0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Refit ``best_name`` on ``train`` + ``valid`` and score every row of ``current``.

    With ``explain > 0`` the scores get a column ``churn_top_features``: the ``explain``
    features that moved each person's probability most (:func:`top_contributions`).

    Both labelled frames are stacked (a person may appear in both, as of two cutoffs) and
    subsampled to ``settings.max_train_rows``. When the data cannot support ``best_name`` the
    fit degrades to ``recency_baseline`` and then ``base_rate`` (see :mod:`audience.churn`) and
    the diagnostics say why. Nothing here raises on bad data; only an unknown ``best_name``
    raises ``ValueError``.

    Returns:
        ``(scores, diagnostics)``. ``scores`` has one row per row of ``current`` with the
        columns ``id_col``, ``churn_probability`` (float in [0, 1]; NaN only when there is not
        a single labelled row to learn from) and ``churn_model`` (the method actually used).
        ``diagnostics`` is a JSON-friendly dict: ``method``, ``fallback``, ``fallback_reason``,
        ``flags`` (e.g. ``single_class``, ``tiny_data``, ``all_null_features``,
        ``missing_features``, ``features_missing_in_current``), feature lists, row counts,
        timings.
    """
    return run_final_fit(
        train,
        valid,
        current,
        features,
        best_name,
        seed,
        label_col,
        baseline_col,
        id_col,
        settings or ChurnSettings(),
        explain,
    )
