"""Which churn features carry information in this data.

A feature is uninformative, and left out of the churn fit, when over the rows the fit learns
from (the labelled examples):

- ``no_rows``            there are no rows at all (its source, and everything else, is empty);
- ``mostly_null``        more than 95 % of the values are null;
- ``constant``           fewer than 2 distinct non-null values;
- ``one_value_dominates`` one value holds at least 99 % of the non-null values.

A feature whose source file is missing or empty (no web events, no email events) reads as a
constant 0 or as all null here, so it falls under ``constant`` or ``mostly_null``. The same
definition is used by the other parts of the project that drop columns without information.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

MAX_NULL_SHARE = 0.95
MIN_DISTINCT = 2
MAX_TOP_VALUE_SHARE = 0.99


@dataclass(frozen=True)
class Exclusion:
    """A feature left out of the fit: the rule it broke and the figure that broke it."""

    feature: str
    reason: str
    detail: str


def uninformative(frame: pd.DataFrame, features: Sequence[str]) -> list[Exclusion]:
    """The features of ``frame`` (in the given order) that carry no information, with why."""
    out: list[Exclusion] = []
    n = len(frame)
    for feature in features:
        if n == 0:
            out.append(Exclusion(feature, "no_rows", "no labelled rows to learn from"))
            continue
        values = pd.to_numeric(frame[feature], errors="coerce")
        null_share = float(values.isna().mean())
        non_null = values.dropna()
        if null_share > MAX_NULL_SHARE:
            out.append(Exclusion(feature, "mostly_null", f"{null_share:.1%} of {n} rows are null"))
            continue
        distinct = int(non_null.nunique())
        if distinct < MIN_DISTINCT:
            value = "none" if non_null.empty else f"{non_null.iloc[0]:g}"
            out.append(Exclusion(feature, "constant", f"one distinct value ({value}) in {n} rows"))
            continue
        counts = non_null.value_counts()
        top_share = float(counts.iloc[0]) / len(non_null)
        if top_share >= MAX_TOP_VALUE_SHARE:
            out.append(
                Exclusion(
                    feature,
                    "one_value_dominates",
                    f"value {counts.index[0]:g} holds {top_share:.1%} of {len(non_null)} non-null rows",
                )
            )
    return out
