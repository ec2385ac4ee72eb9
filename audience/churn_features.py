"""Which churn features carry information in this data: the rule of
:mod:`audience.feature_information`, applied to the rows the churn fit learns from (the labelled
examples), with the churn output's reason codes and wording.

- ``no_rows``             there are no rows at all (its source, and everything else, is empty);
- ``mostly_null``         more than 95 % of the values are null;
- ``constant``            fewer than 2 distinct non-null values;
- ``one_value_dominates`` one value holds at least 99 % of the non-null values
  (``dominant_value`` in :mod:`audience.feature_information`).

A feature whose source file is missing or empty (no web events, no email events) reads as a
constant 0 or as all null here, so it falls under ``constant`` or ``mostly_null``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from audience.feature_information import column_information

# churn_uninformative_features.reason for each feature_information reason
REASONS = {
    "no_rows": "no_rows",
    "mostly_null": "mostly_null",
    "constant": "constant",
    "dominant_value": "one_value_dominates",
}


@dataclass(frozen=True)
class Exclusion:
    """A feature left out of the fit: the rule it broke and the figure that broke it."""

    feature: str
    reason: str
    detail: str


def _detail(info: dict) -> str:
    n, reason = info["n_rows"], info["reason"]
    if reason == "no_rows":
        return "no labelled rows to learn from"
    if reason == "mostly_null":
        return f"{info['null_share']:.1%} of {n} rows are null"
    if reason == "constant":
        return f"one distinct value ({info['top_value']:g}) in {n} rows"
    non_null = round(n * (1 - info["null_share"]))
    return f"value {info['top_value']:g} holds {info['top_value_share']:.1%} of {non_null} non-null rows"


def uninformative(frame: pd.DataFrame, features: Sequence[str]) -> list[Exclusion]:
    """The features of ``frame`` (in the given order) that carry no information, with why."""
    out: list[Exclusion] = []
    for feature in features:
        values = pd.to_numeric(frame[feature], errors="coerce") if len(frame) else pd.Series(dtype=float)
        info = column_information(values)
        if not info["is_informative"]:
            out.append(Exclusion(feature, REASONS[info["reason"]], _detail(info)))
    return out
