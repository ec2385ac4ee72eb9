"""Churn features: reading feature and label columns, the fitting data, and the skew transform."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from audience.churn.settings import DEFAULT_FEATURES

_TRUE_STRINGS = frozenset({"1", "true", "t", "yes", "y"})
_FALSE_STRINGS = frozenset({"0", "false", "f", "no", "n"})


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
        with warnings.catch_warnings():  # a constant column has no skewness: nan, read as 0
            warnings.simplefilter("ignore", RuntimeWarning)
            skew = np.nan_to_num(stats.skew(arr, axis=0, bias=True), nan=0.0)
        self.log_mask_ = (mins >= 0) & (skew > self.skew_threshold)
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "log_mask_")
        arr = np.array(X, dtype=np.float64, copy=True)
        if self.log_mask_.any():
            arr[:, self.log_mask_] = np.log1p(np.clip(arr[:, self.log_mask_], 0.0, None))
        return arr


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


def feature_matrix(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Feature matrix; a column absent from ``frame`` is all NaN."""
    out = np.full((len(frame), len(columns)), np.nan, dtype=np.float64)
    for j, col in enumerate(columns):
        if col in frame.columns:
            out[:, j] = _as_float(frame[col])
    return out


def churn_labels(frame: pd.DataFrame, label_col: str) -> np.ndarray:
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


def resolve_features(
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
class FittingData:
    """Labelled fitting data after feature resolution and subsampling."""

    X: np.ndarray
    y: np.ndarray
    recency: np.ndarray  # (n, 1) baseline column, may be all NaN
    features: list[str]
    n_labelled: int
    n_unlabelled: int
    all_null: list[str]
    sampled: bool


def prepare_fitting(
    frames: Sequence[pd.DataFrame],
    features: list[str],
    label_col: str,
    baseline_col: str,
    max_rows: int,
    seed: int,
) -> FittingData:
    xs, ys, rs = [], [], []
    for frame in frames:
        xs.append(feature_matrix(frame, features))
        ys.append(churn_labels(frame, label_col))
        rs.append(feature_matrix(frame, [baseline_col]))
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
    return FittingData(X, y.astype(np.int8), rec, kept, n_labelled, n_unlabelled, all_null, sampled)


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


def fitting_flags(info: dict[str, list[str]], fit: FittingData) -> set[str]:
    """Flags about the fitting data: features missing, excluded or all null, rows dropped, sampling."""
    flags: set[str] = set()
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
    return flags
