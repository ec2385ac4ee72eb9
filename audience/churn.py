"""Churn propensity: compare models on a time split, refit the winner, score everybody.

Definitions
-----------
A customer *churns* after a cutoff when they make **no purchase** within the horizon ``H``
days that follow it. The SQL layer computes one feature row per person "as of" a date and the
label, and the dbt Python model hands this module three frames:

``train``
    features as of ``as_of - 2H``; label = no purchase in ``(as_of - 2H, as_of - H]``.
``valid``
    features as of ``as_of - H``; label = no purchase in ``(as_of - H, as_of]``.
``current``
    features as of ``as_of``; no label (this is what gets scored).

Only customers with at least one purchase before the respective cutoff appear in a frame.

Models
------
``logistic``
    ``SimpleImputer(median, missing indicators) -> SkewedLog1p -> StandardScaler ->
    LogisticRegression(C=1)``. :class:`SkewedLog1p` applies ``log1p`` to every column that is
    non-negative and right-skewed (sample skewness above ``ChurnSettings.skew_threshold``) in
    the data it is fitted on.
``hist_gradient_boosting``
    ``HistGradientBoostingClassifier`` with native missing-value handling, early stopping
    **off** and a fixed, modest number of iterations, so a fit is deterministic for a seed.
``recency_baseline``
    the naive rule "the longer since the last purchase, the likelier the churn": a one-feature
    logistic regression on ``log1p(recency_days)`` (median-imputed), fitted on ``train``. We use
    this *calibrated* form, not a min-max scaled recency, so that its Brier score is a fair
    reference. Its ranking equals the ranking by raw recency whenever the fitted slope is
    positive (recorded as ``baseline_slope`` in the diagnostics), so its AUC, PR-AUC and lift are
    those of the raw recency rule.
``base_rate``
    a constant: the churn rate of the labelled rows. Last resort only.

Selection rule
--------------
Among the two learned models (``logistic``, ``hist_gradient_boosting``) the one with the
highest AUC on ``valid`` wins; an exact tie goes to ``logistic`` (simpler). A model that could
not be fitted or whose AUC is undefined is not a candidate. If no learned model has a defined
AUC (``valid`` empty or single-class) but ``logistic`` fitted, ``logistic`` is chosen and the
choice flagged. If neither learned model can be fitted (tiny or single-class ``train``, no usable
feature), the choice falls to ``recency_baseline`` and then ``base_rate``. The baseline is never
selected over a learned model that has a defined AUC; when the winner does not beat it, the
diagnostics say so (flag ``selected_not_better_than_baseline``).

The final fit (:func:`fit_final_and_score`) refits the selected model on ``train`` and
``valid`` together. It never upgrades to a more complex model than the one selected, it only
degrades along ``hist_gradient_boosting | logistic -> recency_baseline -> base_rate`` when the
combined data cannot support the selected one; every degradation is flagged.

Everything is deterministic for a given ``seed``: subsampling uses
``numpy.random.default_rng(seed)``, the boosting model uses ``random_state=seed`` with early
stopping off, and logistic regression uses the deterministic L-BFGS solver.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

__all__ = [
    "BASE_RATE",
    "DEFAULT_FEATURES",
    "HGB",
    "LEARNED_MODELS",
    "LOGISTIC",
    "METRIC_COLUMNS",
    "MODEL_NAMES",
    "RECENCY_BASELINE",
    "ChurnSettings",
    "SkewedLog1p",
    "churn_pipeline",
    "compare_models",
    "compare_with_diagnostics",
    "fit_final_and_score",
    "score_metrics",
    "top_decile_lift",
]

LOGISTIC = "logistic"
HGB = "hist_gradient_boosting"
RECENCY_BASELINE = "recency_baseline"
BASE_RATE = "base_rate"
LEARNED_MODELS: tuple[str, ...] = (LOGISTIC, HGB)
MODEL_NAMES: tuple[str, ...] = (LOGISTIC, HGB, RECENCY_BASELINE, BASE_RATE)

#: Features used when the caller passes ``features=None`` (those present in the frames).
DEFAULT_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "sessions_30d",
    "sessions_90d",
    "days_since_last_visit",
    "email_open_rate",
    "email_click_rate",
    "cart_abandonments_90d",
    "discount_share",
)

METRIC_COLUMNS: tuple[str, ...] = (
    "model",
    "auc",
    "pr_auc",
    "brier",
    "top_decile_lift",
    "n_train",
    "n_valid",
    "base_rate",
    "is_selected",
    "status",
)
SCORE_COLUMNS_SUFFIX: tuple[str, ...] = ("churn_probability", "churn_model")
#: Extra score column with ``explain > 0`` (see :func:`top_contributions`).
CHURN_EXPLANATION_COLUMN = "churn_top_features"

# Degradation order of the final fit, per selected model.
_FALLBACK_CHAIN: dict[str, tuple[str, ...]] = {
    HGB: (HGB, RECENCY_BASELINE, BASE_RATE),
    LOGISTIC: (LOGISTIC, RECENCY_BASELINE, BASE_RATE),
    RECENCY_BASELINE: (RECENCY_BASELINE, BASE_RATE),
    BASE_RATE: (BASE_RATE,),
}
_SCORE_CHUNK_ROWS = 500_000
_TRUE_STRINGS = frozenset({"1", "true", "t", "yes", "y"})
_FALSE_STRINGS = frozenset({"0", "false", "f", "no", "n"})


@dataclass(frozen=True)
class ChurnSettings:
    """Tunable knobs. The defaults suit 10^3 to 10^7 customers on a laptop.

    Attributes:
        max_train_rows: fitting rows are subsampled (stratified by label, with the seed) to at
            most this many; scoring is never subsampled.
        min_train_rows: fewer labelled fitting rows than this and the learned models are not
            fitted ("tiny data"); the recency baseline or the base rate is used instead.
        min_class_rows: the learned models also need at least this many rows of the minority
            class.
        min_baseline_rows: the recency baseline needs this many rows and two of each class.
        top_fraction: share of highest-risk customers used by the lift metric.
        skew_threshold: sample skewness above which a non-negative feature gets ``log1p`` in
            the logistic pipeline.
        logistic_c: inverse L2 regularisation strength of both logistic models.
        hgb_max_iter, hgb_learning_rate, hgb_max_leaf_nodes, hgb_min_samples_leaf,
        hgb_l2_regularization: gradient-boosting hyper-parameters (early stopping is off).
            ``hgb_min_samples_leaf`` is lowered to ``max(5, n // 20)`` on small data.
        n_threads: thread cap (OpenMP and BLAS) while fitting and scoring. The default 1 is
            deliberate: the boosting model's OpenMP barriers degrade badly when the cores are
            shared (other dbt threads, DuckDB, other jobs). Measured on a busy 2-core machine,
            a 200k-row fit took 1.3-2 s on one thread and 5-27 s on two; idle, two threads
            saved about 0.6 s. ``None`` = library default (all cores).
        single_thread_below_rows: with ``n_threads=None``, fits and predictions on fewer rows
            than this still run on one thread, where thread start-up costs dominate.
    """

    max_train_rows: int = 200_000
    min_train_rows: int = 50
    min_class_rows: int = 5
    min_baseline_rows: int = 10
    top_fraction: float = 0.1
    skew_threshold: float = 1.0
    logistic_c: float = 1.0
    hgb_max_iter: int = 100
    hgb_learning_rate: float = 0.1
    hgb_max_leaf_nodes: int = 15
    hgb_min_samples_leaf: int = 40
    hgb_l2_regularization: float = 1.0
    n_threads: int | None = 1
    single_thread_below_rows: int = 50_000


# --------------------------------------------------------------------------------------------
# Transformer
# --------------------------------------------------------------------------------------------


class SkewedLog1p(TransformerMixin, BaseEstimator):
    """Apply ``log1p`` to the columns that are non-negative and right-skewed at fit time.

    A column gets the transform when its minimum is ``>= 0`` and its sample skewness is above
    ``skew_threshold`` (``-inf`` logs every non-negative column). At transform time negative
    values in a logged column are clipped to 0 first, so the output is always finite.
    Expects a dense float array without NaN (put it after an imputer).
    """

    def __init__(self, skew_threshold: float = 1.0) -> None:
        self.skew_threshold = skew_threshold

    def fit(self, X: Any, y: Any = None) -> SkewedLog1p:
        arr = np.asarray(X, dtype=np.float64)
        self.n_features_in_ = arr.shape[1]
        if arr.shape[0] == 0:
            self.log_mask_ = np.zeros(arr.shape[1], dtype=bool)
            return self
        mins = arr.min(axis=0)
        mean = arr.mean(axis=0)
        centred = arr - mean
        std = np.sqrt((centred**2).mean(axis=0))
        third = (centred**3).mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            skew = np.where(std > 0, third / np.where(std > 0, std, 1.0) ** 3, 0.0)
        self.log_mask_ = (mins >= 0) & (skew > self.skew_threshold)
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "log_mask_")
        arr = np.array(X, dtype=np.float64, copy=True)
        if self.log_mask_.any():
            arr[:, self.log_mask_] = np.log1p(np.clip(arr[:, self.log_mask_], 0.0, None))
        return arr


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------------


def _as_float(series: pd.Series) -> np.ndarray:
    """A column as float64: timedeltas become days, anything unparsable becomes NaN."""
    dtype = series.dtype
    if pd.api.types.is_timedelta64_dtype(dtype):
        values = series.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan) / 86400.0
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        values = np.full(len(series), np.nan)
    elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values), values, np.nan)  # also a writable copy


def _matrix(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Feature matrix; a column absent from ``frame`` is all NaN."""
    out = np.full((len(frame), len(columns)), np.nan, dtype=np.float64)
    for j, col in enumerate(columns):
        if col in frame.columns:
            out[:, j] = _as_float(frame[col])
    return out


def _labels(frame: pd.DataFrame, label_col: str) -> np.ndarray:
    """Churn label as float 0/1 with NaN for missing or unreadable values."""
    if label_col not in frame.columns:
        return np.full(len(frame), np.nan)
    series = frame[label_col]
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        y = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = series.astype("string").str.strip().str.lower()
        y = np.where(
            text.isin(_TRUE_STRINGS).to_numpy(dtype=bool, na_value=False),
            1.0,
            np.where(text.isin(_FALSE_STRINGS).to_numpy(dtype=bool, na_value=False), 0.0, np.nan),
        )
    y = np.asarray(y, dtype=np.float64)
    return np.where(np.isin(y, (0.0, 1.0)), y, np.nan)


def _resolve_features(
    features: Iterable[str] | None,
    frames: Sequence[pd.DataFrame],
    label_col: str,
    id_col: str,
) -> tuple[list[str], dict[str, list[str]]]:
    """Requested features minus label/id columns and minus columns absent from every frame."""
    if features is None:
        requested = [f for f in DEFAULT_FEATURES if any(f in fr.columns for fr in frames)]
    elif isinstance(features, str):
        requested = [features]
    else:
        requested = list(dict.fromkeys(str(f) for f in features))
    excluded = [f for f in requested if f in (label_col, id_col)]
    candidates = [f for f in requested if f not in excluded]
    missing = [f for f in candidates if not any(f in fr.columns for fr in frames)]
    present = [f for f in candidates if f not in missing]
    return present, {"requested": requested, "excluded": excluded, "missing": missing}


@dataclass
class _Fitting:
    """Labelled fitting data after feature resolution and subsampling."""

    X: np.ndarray
    y: np.ndarray
    recency: np.ndarray  # (n, 1) baseline column, may be all NaN
    features: list[str]
    n_labelled: int
    n_unlabelled: int
    all_null: list[str]
    sampled: bool


def _prepare_fitting(
    frames: Sequence[pd.DataFrame],
    features: list[str],
    label_col: str,
    baseline_col: str,
    max_rows: int,
    seed: int,
) -> _Fitting:
    xs, ys, rs = [], [], []
    for frame in frames:
        xs.append(_matrix(frame, features))
        ys.append(_labels(frame, label_col))
        rs.append(_matrix(frame, [baseline_col]))
    X = np.vstack(xs) if xs else np.empty((0, len(features)))
    y = np.concatenate(ys) if ys else np.empty(0)
    rec = np.vstack(rs) if rs else np.empty((0, 1))
    labelled = np.isfinite(y)
    n_unlabelled = int((~labelled).sum())
    X, y, rec = X[labelled], y[labelled], rec[labelled]
    n_labelled = int(y.size)
    # "All null" is judged on every labelled row, before subsampling.
    has_values = ~np.all(np.isnan(X), axis=0) if X.shape[0] else np.zeros(X.shape[1], bool)
    all_null = [f for f, ok in zip(features, has_values, strict=True) if not ok]
    kept = [f for f, ok in zip(features, has_values, strict=True) if ok]
    X = X[:, has_values]

    sampled = False
    if n_labelled > max_rows > 0:
        idx = _stratified_sample(y, max_rows, seed)
        X, y, rec = X[idx], y[idx], rec[idx]
        sampled = True
    return _Fitting(X, y.astype(np.int8), rec, kept, n_labelled, n_unlabelled, all_null, sampled)


def _stratified_sample(y: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """Sorted row indices of a label-stratified random sample of about ``max_rows`` rows."""
    rng = np.random.default_rng(seed)
    n = y.size
    parts = []
    for cls in (0.0, 1.0):
        members = np.flatnonzero(y == cls)
        if members.size == 0:
            continue
        take = min(members.size, max(1, round(members.size * max_rows / n)))
        parts.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(parts))


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


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


def _learned_infeasible(fit: _Fitting, settings: ChurnSettings) -> str | None:
    """Why the learned models cannot be fitted on ``fit``, or None if they can."""
    n = fit.y.size
    positives = int(fit.y.sum())
    if n == 0:
        return "no_labels"
    if positives in (0, n):
        return "single_class"
    if n < settings.min_train_rows:
        return "tiny_data"
    if min(positives, n - positives) < settings.min_class_rows:
        return "rare_class"
    if not fit.features:
        return "no_usable_features"
    return None


def _baseline_infeasible(fit: _Fitting, settings: ChurnSettings) -> str | None:
    n = fit.y.size
    positives = int(fit.y.sum())
    if n == 0:
        return "no_labels"
    if positives in (0, n):
        return "single_class"
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


def _fit_model(name: str, fit: _Fitting, settings: ChurnSettings, seed: int) -> tuple[Any, list[str]]:
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


def _predict(model: Any, X: np.ndarray, settings: ChurnSettings) -> np.ndarray:
    """Positive-class probabilities, in chunks to bound memory on very large frames."""
    if X.shape[0] == 0:
        return np.empty(0, dtype=np.float64)
    with _thread_limit(X.shape[0], settings):
        parts = [
            model.predict_proba(X[start : start + _SCORE_CHUNK_ROWS])[:, 1]
            for start in range(0, X.shape[0], _SCORE_CHUNK_ROWS)
        ]
    return np.clip(np.concatenate(parts).astype(np.float64), 0.0, 1.0)


def _baseline_slope(model: Any) -> float:
    return float(model.named_steps["model"].coef_.ravel()[0])


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _compare(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    features: Iterable[str] | None,
    label_col: str,
    baseline_col: str,
    seed: int,
    id_col: str,
    settings: ChurnSettings,
) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    t_start = time.perf_counter()
    flags: set[str] = set()
    present, info = _resolve_features(features, [train], label_col, id_col)
    fit = _prepare_fitting([train], present, label_col, baseline_col, settings.max_train_rows, seed)
    y_valid = _labels(valid, label_col)
    labelled_valid = np.isfinite(y_valid)
    y_valid = y_valid[labelled_valid]
    X_valid = _matrix(valid, fit.features)[labelled_valid]
    rec_valid = _matrix(valid, [baseline_col])[labelled_valid]
    valid_base_rate = float(y_valid.mean()) if y_valid.size else float("nan")

    if info["missing"]:
        flags.add("missing_features")
    if info["excluded"]:
        flags.add("excluded_label_or_id_features")
    if fit.all_null:
        flags.add("all_null_features")
    if fit.n_unlabelled or int((~labelled_valid).sum()):
        flags.add("unlabelled_rows_dropped")
    if fit.sampled:
        flags.add("train_sampled")
    missing_in_valid = [f for f in fit.features if f not in valid.columns]
    if missing_in_valid:
        flags.add("features_missing_in_valid")

    statuses: dict[str, str] = {}
    models: dict[str, Any] = {}
    timings: dict[str, float] = {}
    fit_warnings: dict[str, list[str]] = {}
    learned_reason = _learned_infeasible(fit, settings)
    for name in (*LEARNED_MODELS, RECENCY_BASELINE):
        reason = learned_reason if name in LEARNED_MODELS else _baseline_infeasible(fit, settings)
        if reason is not None:
            statuses[name] = f"not_fitted: {reason}"
            flags.add(reason)
            continue
        t0 = time.perf_counter()
        try:
            models[name], msgs = _fit_model(name, fit, settings, seed)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            statuses[name] = f"failed: {type(exc).__name__}: {exc}"
            flags.add("model_fit_failed")
            continue
        timings[f"fit_{name}"] = time.perf_counter() - t0
        statuses[name] = "ok"
        if msgs:
            fit_warnings[name] = msgs
            flags.add("fit_warnings")

    rows = []
    for name in (*LEARNED_MODELS, RECENCY_BASELINE):
        if name in models:
            X_eval = rec_valid if name == RECENCY_BASELINE else X_valid
            t0 = time.perf_counter()
            m = score_metrics(y_valid, _predict(models[name], X_eval, settings), settings.top_fraction)
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
    auc = dict(zip(metrics["model"], metrics["auc"], strict=True))

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
        "baseline_slope": _baseline_slope(models[RECENCY_BASELINE])
        if RECENCY_BASELINE in models
        else float("nan"),
        "model_status": statuses,
        "fit_warnings": fit_warnings,
        "flags": sorted(flags),
        "timings_s": {**timings, "total": time.perf_counter() - t_start},
        "settings": asdict(settings),
    }
    return metrics, best, diagnostics


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
        ``best_name`` follows the selection rule of the module docstring and is one of
        :data:`MODEL_NAMES`.
    """
    metrics, best, _ = _compare(
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
    return _compare(
        train, valid, features, label_col, baseline_col, seed, id_col, settings or ChurnSettings()
    )


def _fit_final(
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
    if best_name not in _FALLBACK_CHAIN:
        raise ValueError(f"unknown model {best_name!r}; expected one of {MODEL_NAMES}")
    t_start = time.perf_counter()
    flags: set[str] = set()
    present, info = _resolve_features(features, [train, valid], label_col, id_col)
    fit = _prepare_fitting([train, valid], present, label_col, baseline_col, settings.max_train_rows, seed)
    t_prepared = time.perf_counter()
    if info["missing"]:
        flags.add("missing_features")
    if info["excluded"]:
        flags.add("excluded_label_or_id_features")
    if fit.all_null:
        flags.add("all_null_features")
    if fit.n_unlabelled:
        flags.add("unlabelled_rows_dropped")
    if fit.sampled:
        flags.add("train_sampled")
    fit_base_rate = float(fit.y.mean()) if fit.y.size else float("nan")

    method = BASE_RATE
    model: Any = None
    fallback_reasons: list[str] = []
    fit_warnings: list[str] = []
    for name in _FALLBACK_CHAIN[best_name]:
        if name == BASE_RATE:
            method = BASE_RATE
            if not fit.y.size:
                flags.add("no_labels")
            break
        if name in LEARNED_MODELS:
            reason = _learned_infeasible(fit, settings)
        else:
            reason = _baseline_infeasible(fit, settings)
            if reason is None and baseline_col not in current.columns:
                reason = "baseline_column_missing_in_current"
        if reason is None:
            try:
                model, fit_warnings = _fit_model(name, fit, settings, seed)
            except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
                reason = f"fit_failed: {type(exc).__name__}: {exc}"
        if reason is None:
            method = name
            break
        fallback_reasons.append(f"{name}: {reason}")
        flags.add(reason.split(":")[0])
    fallback = method != best_name
    if fallback:
        flags.add("fallback")
    if fit_warnings:
        flags.add("fit_warnings")
    t_fitted = time.perf_counter()

    missing_in_current: list[str] = []
    if method in LEARNED_MODELS:
        missing_in_current = [f for f in fit.features if f not in current.columns]
        probs = _predict(model, _matrix(current, fit.features), settings)
    elif method == RECENCY_BASELINE:
        probs = _predict(model, _matrix(current, [baseline_col]), settings)
    else:
        probs = np.full(len(current), fit_base_rate, dtype=np.float64)
    if missing_in_current:
        flags.add("features_missing_in_current")
    t_scored = time.perf_counter()

    if id_col in current.columns:
        ids = current[id_col].reset_index(drop=True)  # keeps the key's dtype
    else:
        ids = pd.Series(current.index, dtype=current.index.dtype)
        flags.add("id_column_missing")
    scores = pd.DataFrame(
        {id_col: ids, "churn_probability": probs, "churn_model": method},
        columns=[id_col, *SCORE_COLUMNS_SUFFIX],
    )
    if explain > 0:
        if method in LEARNED_MODELS:
            Xc = _matrix(current, fit.features)
            scores[CHURN_EXPLANATION_COLUMN] = top_contributions(
                lambda X: _predict(model, X, settings), Xc, fit.features, _column_medians(fit.X), explain
            )
        elif method == RECENCY_BASELINE:
            scores[CHURN_EXPLANATION_COLUMN] = f"{baseline_col} (recency baseline)"
        else:
            scores[CHURN_EXPLANATION_COLUMN] = "base rate (no model)"
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
        diagnostics["logistic_coefficients"] = _logistic_coefficients(model, fit.features)
    return scores, diagnostics


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _logistic_coefficients(model: Pipeline, features: list[str]) -> dict[str, float]:
    """Standardised coefficients of the logistic pipeline, keyed by feature (and ``missing_*``)."""
    imputer: SimpleImputer = model.named_steps["impute"]
    names = list(features)
    if imputer.indicator_ is not None:
        names += [f"missing_{features[i]}" for i in imputer.indicator_.features_]
    coefs = model.named_steps["model"].coef_.ravel()
    return {n: float(c) for n, c in zip(names, coefs, strict=True)}


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
    fit degrades to ``recency_baseline`` and then ``base_rate`` (see the module docstring) and
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
    return _fit_final(
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


def churn_pipeline(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    current: pd.DataFrame,
    features: Iterable[str] | None = None,
    seed: int = 0,
    *,
    label_col: str = "churned",
    baseline_col: str = "recency_days",
    id_col: str = "person_id",
    settings: ChurnSettings | None = None,
    explain: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """:func:`compare_models` then :func:`fit_final_and_score` with the selected model.

    ``explain``: see :func:`fit_final_and_score`.

    Returns:
        ``(scores, metrics, diagnostics)``; ``diagnostics`` holds ``selected_model``,
        ``method`` (used for the scores), ``fallback``, ``flags`` (union of both steps), and
        the per-step details under ``compare`` and ``final``.
    """
    settings = settings or ChurnSettings()
    t0 = time.perf_counter()
    metrics, best, compare_diag = _compare(
        train, valid, features, label_col, baseline_col, seed, id_col, settings
    )
    scores, final_diag = _fit_final(
        train, valid, current, features, best, seed, label_col, baseline_col, id_col, settings, explain
    )
    diagnostics: dict[str, Any] = {
        "selected_model": best,
        "method": final_diag["method"],
        "fallback": best not in LEARNED_MODELS or bool(final_diag["fallback"]),
        "flags": sorted(set(compare_diag["flags"]) | set(final_diag["flags"])),
        "compare": compare_diag,
        "final": final_diag,
        "timings_s": {"total": time.perf_counter() - t0},
    }
    return scores, metrics, diagnostics


def _column_medians(X: np.ndarray) -> np.ndarray:
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
