"""Holdout calibration: BG/NBD predictions against the purchases of a later window."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from audience.clv.bgnbd_predict import expected_purchases
from audience.clv.numerics import (
    ArrayLike,
    FloatArray,
    as_float,
    check_rft,
    weighted_corr,
)
from audience.clv.params import BgNbdParams


def _bucket_masks(x: FloatArray, buckets: Sequence[int | str]) -> list[tuple[str, npt.NDArray[np.bool_]]]:
    out = []
    for bucket in buckets:
        if isinstance(bucket, str):
            text = bucket.strip()
            if not text.endswith("+"):
                raise ValueError(f"bucket {bucket!r}: strings must look like '6+'")
            out.append((text, x >= float(text[:-1])))
        else:
            out.append((str(int(bucket)), x == float(bucket)))
    return out


def calibration_holdout_table(
    params: BgNbdParams,
    x_cal: ArrayLike,
    t_x_cal: ArrayLike,
    T_cal: ArrayLike,
    actual_holdout: ArrayLike,
    holdout_length: ArrayLike,
    buckets: Sequence[int | str] = (0, 1, 2, 3, 4, 5, "6+"),
) -> pd.DataFrame:
    """Predicted vs actual holdout purchases per calibration-frequency bucket.

    Columns: ``bucket`` (``"0"``, ..., ``"6+"``, ``"total"``), ``n_customers``, ``predicted`` and
    ``actual`` (mean holdout repeat purchases per customer), ``error`` (predicted - actual),
    ``abs_pct_error`` (``|error| / actual``, NaN when actual is 0), ``predicted_total`` and
    ``actual_total`` (sums). The total row covers every customer, including any not in a bucket.
    """
    xa, ta, Ta = check_rft(x_cal, t_x_cal, T_cal)
    actual = np.broadcast_to(as_float(actual_holdout, "actual_holdout"), xa.shape).ravel()
    pred = expected_purchases(params, holdout_length, xa, ta, Ta)
    pred = np.broadcast_to(pred, xa.shape).ravel()
    xf = xa.ravel()
    rows = []
    for label, mask in _bucket_masks(xf, buckets) + [("total", np.ones(xf.size, dtype=bool))]:
        n = int(mask.sum())
        pt, at = float(pred[mask].sum()), float(actual[mask].sum())
        pm = pt / n if n else math.nan
        am = at / n if n else math.nan
        err = pm - am
        rows.append(
            {
                "bucket": label,
                "n_customers": n,
                "predicted": pm,
                "actual": am,
                "error": err,
                "abs_pct_error": abs(err) / am if n and am > 0 else math.nan,
                "predicted_total": pt,
                "actual_total": at,
            }
        )
    return pd.DataFrame(rows)


def holdout_errors(
    params: BgNbdParams,
    x_cal: ArrayLike,
    t_x_cal: ArrayLike,
    T_cal: ArrayLike,
    actual_holdout: ArrayLike,
    holdout_length: ArrayLike,
) -> dict[str, float]:
    """Aggregate holdout accuracy of the conditional expectations.

    Keys: ``total_predicted``, ``total_actual``, ``pct_error`` ((predicted - actual) / actual),
    ``mae_per_customer``, ``rmse``, ``correlation`` (Pearson, per customer), ``n_customers``.
    """
    xa, ta, Ta = check_rft(x_cal, t_x_cal, T_cal)
    actual = np.broadcast_to(as_float(actual_holdout, "actual_holdout"), xa.shape).ravel()
    pred = np.broadcast_to(expected_purchases(params, holdout_length, xa, ta, Ta), xa.shape).ravel()
    tp, ta_ = float(pred.sum()), float(actual.sum())
    diff = pred - actual
    n = pred.size
    return {
        "total_predicted": tp,
        "total_actual": ta_,
        "pct_error": (tp - ta_) / ta_ if ta_ > 0 else math.nan,
        "mae_per_customer": float(np.mean(np.abs(diff))) if n else math.nan,
        "rmse": float(np.sqrt(np.mean(diff**2))) if n else math.nan,
        "correlation": weighted_corr(pred, actual, np.ones(n)) if n > 1 else math.nan,
        "n_customers": float(n),
    }
