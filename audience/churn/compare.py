"""Model comparison: fit the candidate churn models on ``train``, evaluate them on ``valid``
and select one by the rule of :mod:`audience.churn`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from audience.churn.features import (
    FittingData,
    churn_labels,
    feature_matrix,
    fitting_flags,
    prepare_fitting,
    resolve_features,
)
from audience.churn.metrics import score_metrics
from audience.churn.models import (
    baseline_infeasible,
    baseline_slope,
    fit_model,
    learned_infeasible,
    predict_proba,
)
from audience.churn.settings import (
    BASE_RATE,
    HGB,
    LEARNED_MODELS,
    LOGISTIC,
    METRIC_COLUMNS,
    RECENCY_BASELINE,
    ChurnSettings,
)


def run_comparison(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    features: Iterable[str] | None,
    label_col: str,
    baseline_col: str,
    seed: int,
    id_col: str,
    settings: ChurnSettings,
) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """Fit the candidates on ``train``, evaluate them on ``valid`` and select one:
    ``(metrics, best_name, diagnostics)`` as documented in :func:`compare_with_diagnostics`."""
    t_start = time.perf_counter()
    present, info = resolve_features(features, [train], label_col, id_col)
    fit = prepare_fitting([train], present, label_col, baseline_col, settings.max_train_rows, seed)
    y_valid = churn_labels(valid, label_col)
    labelled_valid = np.isfinite(y_valid)
    y_valid = y_valid[labelled_valid]
    X_valid = feature_matrix(valid, fit.features)[labelled_valid]
    rec_valid = feature_matrix(valid, [baseline_col])[labelled_valid]
    valid_base_rate = float(y_valid.mean()) if y_valid.size else float("nan")

    flags = fitting_flags(info, fit)
    if int((~labelled_valid).sum()):
        flags.add("unlabelled_rows_dropped")
    missing_in_valid = [f for f in fit.features if f not in valid.columns]
    if missing_in_valid:
        flags.add("features_missing_in_valid")

    models, statuses, timings, fit_warnings = _fit_candidates(fit, settings, seed, flags)
    rows = []
    for name in (*LEARNED_MODELS, RECENCY_BASELINE):
        if name in models:
            X_eval = rec_valid if name == RECENCY_BASELINE else X_valid
            t0 = time.perf_counter()
            m = score_metrics(y_valid, predict_proba(models[name], X_eval, settings), settings.top_fraction)
            timings[f"predict_{name}"] = time.perf_counter() - t0
        else:
            m = dict.fromkeys(("auc", "pr_auc", "brier", "top_decile_lift"), float("nan"))
        rows.append(
            {
                "model": name,
                **m,
                "n_train": int(fit.y.size) if name in models else 0,
                "n_valid": int(y_valid.size),
                "base_rate": valid_base_rate,
                "is_selected": False,
                "status": statuses[name],
            }
        )
    metrics = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    best = _select(dict(zip(metrics["model"], metrics["auc"], strict=True)), models, flags)
    metrics["is_selected"] = metrics["model"] == best

    diagnostics: dict[str, Any] = {
        "selected_model": best,
        "selection_rule": "max valid AUC over {logistic, hist_gradient_boosting}; tie -> logistic",
        "features_requested": info["requested"],
        "features_used": list(fit.features),
        "missing_features": info["missing"],
        "excluded_features": info["excluded"],
        "all_null_features": fit.all_null,
        "features_missing_in_valid": missing_in_valid,
        "n_train_labelled": fit.n_labelled,
        "n_train_fit": int(fit.y.size),
        "n_train_unlabelled": fit.n_unlabelled,
        "n_valid": int(y_valid.size),
        "n_valid_unlabelled": int((~labelled_valid).sum()),
        "train_base_rate": float(fit.y.mean()) if fit.y.size else float("nan"),
        "valid_base_rate": valid_base_rate,
        "baseline_slope": baseline_slope(models[RECENCY_BASELINE])
        if RECENCY_BASELINE in models
        else float("nan"),
        "model_status": statuses,
        "fit_warnings": fit_warnings,
        "flags": sorted(flags),
        "timings_s": {**timings, "total": time.perf_counter() - t_start},
        "settings": asdict(settings),
    }
    return metrics, best, diagnostics


def _fit_candidates(
    fit: FittingData, settings: ChurnSettings, seed: int, flags: set[str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, float], dict[str, list[str]]]:
    """Fit every candidate the data supports: (models, status per model, fit timings, fit
    warnings per model). Adds to ``flags`` why a model was not fitted."""
    statuses: dict[str, str] = {}
    models: dict[str, Any] = {}
    timings: dict[str, float] = {}
    fit_warnings: dict[str, list[str]] = {}
    learned_reason = learned_infeasible(fit, settings)
    for name in (*LEARNED_MODELS, RECENCY_BASELINE):
        reason = learned_reason if name in LEARNED_MODELS else baseline_infeasible(fit, settings)
        if reason is not None:
            statuses[name] = f"not_fitted: {reason}"
            flags.add(reason)
            continue
        t0 = time.perf_counter()
        try:
            models[name], msgs = fit_model(name, fit, settings, seed)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            statuses[name] = f"failed: {type(exc).__name__}: {exc}"
            flags.add("model_fit_failed")
            continue
        timings[f"fit_{name}"] = time.perf_counter() - t0
        statuses[name] = "ok"
        if msgs:
            fit_warnings[name] = msgs
            flags.add("fit_warnings")
    return models, statuses, timings, fit_warnings


def _select(auc: dict[str, float], models: dict[str, Any], flags: set[str]) -> str:
    """The selected model by the selection rule of :mod:`audience.churn`; adds the flags it implies."""
    candidates = [n for n in LEARNED_MODELS if n in models and np.isfinite(auc[n])]
    if candidates:
        # max() keeps the first of equal values, and LOGISTIC comes first: ties go to logistic.
        best = max(candidates, key=lambda n: auc[n])
        if np.isfinite(auc[RECENCY_BASELINE]) and auc[best] <= auc[RECENCY_BASELINE]:
            flags.add("selected_not_better_than_baseline")
    elif LOGISTIC in models:
        best = LOGISTIC
        flags.add("selection_without_valid_auc")
    elif HGB in models:
        best = HGB
        flags.add("selection_without_valid_auc")
    elif RECENCY_BASELINE in models:
        best = RECENCY_BASELINE
        flags.add("fallback")
    else:
        best = BASE_RATE
        flags.add("fallback")
    return best


def compare_models(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    features: Iterable[str] | None = None,
    label_col: str = "churned",
    baseline_col: str = "recency_days",
    seed: int = 0,
    *,
    id_col: str = "person_id",
    settings: ChurnSettings | None = None,
) -> tuple[pd.DataFrame, str]:
    """Fit the candidate models on ``train`` and evaluate them on ``valid``.

    Args:
        train: one row per person with features as of ``as_of - 2H`` and ``label_col``.
        valid: same columns, features as of ``as_of - H``.
        features: feature columns; ``None`` means the :data:`DEFAULT_FEATURES` present. Columns
            absent from ``train`` or without a single value there are dropped; the label and id
            columns are never used as features.
        label_col: 1/True = churned (no purchase within the horizon). Null labels are ignored.
        baseline_col: the recency column used by the naive baseline.
        seed: seed of the subsample and of the boosting model.
        id_col: person key (only excluded from the features here).
        settings: hyper-parameters and limits, see :class:`ChurnSettings`.

    Returns:
        ``(metrics, best_name)``. ``metrics`` has one row per model (``logistic``,
        ``hist_gradient_boosting``, ``recency_baseline``) and the columns ``model, auc, pr_auc,
        brier, top_decile_lift, n_train, n_valid, base_rate, is_selected, status``; ``base_rate``
        is the churn rate of ``valid`` (the denominator of the lift), ``n_train`` the number of
        rows the model was fitted on (0 if it was not fitted). Undefined metrics are NaN.
        ``best_name`` follows the selection rule of :mod:`audience.churn` and is one of
        :data:`MODEL_NAMES`.
    """
    metrics, best, _ = run_comparison(
        train, valid, features, label_col, baseline_col, seed, id_col, settings or ChurnSettings()
    )
    return metrics, best


def compare_with_diagnostics(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    features: Iterable[str] | None = None,
    seed: int = 0,
    *,
    label_col: str = "churned",
    baseline_col: str = "recency_days",
    id_col: str = "person_id",
    settings: ChurnSettings | None = None,
) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """:func:`compare_models` with its diagnostics: ``(metrics, best_name, diagnostics)``;
    ``diagnostics`` holds ``selected_model``, ``model_status`` (why a model was not fitted),
    ``flags``, row counts (``n_train_labelled``, ``n_valid``) and the features used."""
    return run_comparison(
        train, valid, features, label_col, baseline_col, seed, id_col, settings or ChurnSettings()
    )
