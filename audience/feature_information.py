"""Which columns carry information in this data: the rule that keeps empty sources out of models.

A column is **uninformative** when its source has no rows, or it has fewer than 2 distinct
non-null values, or more than :data:`MAX_NULL_SHARE` of its values are null, or one value holds
at least :data:`MAX_TOP_VALUE_SHARE` of the non-null values. Such a column cannot separate
people: with no web events every ``sessions_90d`` is 0, and a percentile, a z-score or a
cluster centroid over it says nothing about anybody. Clustering leaves these columns out of the
fit and personas leave them out of names and descriptions; :func:`feature_information` says
which and why, in a table users can read (``cluster_feature_selection``).

This is the one Python definition: clustering and personas call :func:`feature_information`,
the churn fit calls :func:`column_information` through :mod:`audience.churn_features`. The
warehouse's copy is the macro ``feature_uninformative_reason`` (macros/quality/feature_coverage.sql,
``dq_feature_coverage``); tests hold its limits and its verdicts on built data to this module.
The Python callers judge other rows than the warehouse does (the clustering sample, the labelled
churn examples), so they apply the rule themselves instead of reading ``dq_feature_coverage``.

The reasons, first one that applies (else ``informative``):

* ``no_rows`` - no people (rows) to measure the column on;
* ``mostly_null`` - more than :data:`MAX_NULL_SHARE` of the values are null (all null included);
* ``constant`` - fewer than 2 distinct non-null values;
* ``dominant_value`` - one value holds at least :data:`MAX_TOP_VALUE_SHARE` of the non-null values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: A column with more than this share of null values is uninformative.
MAX_NULL_SHARE = 0.95
#: A column with fewer distinct non-null values than this is uninformative.
MIN_DISTINCT = 2
#: A column where one value holds at least this share of the non-null values is uninformative.
MAX_TOP_VALUE_SHARE = 0.99

COLUMNS = [
    "feature",
    "position",
    "n_rows",
    "null_share",
    "n_distinct",
    "top_value_share",
    "is_informative",
    "reason",
]


def column_information(values: pd.Series | np.ndarray, source_rows: int | None = None) -> dict:
    """Figures and verdict for one column: ``n_rows``, ``null_share``, ``n_distinct``,
    ``top_value_share``, ``top_value`` (the most common non-null value, None if there is none),
    ``is_informative`` and ``reason`` (``"informative"``, or the code).

    ``source_rows``, when given, is the row count of the column's source table; 0 makes the
    column ``no_rows`` whatever its values (a left join fills such a column with defaults).
    """
    series = pd.Series(values)
    n = len(series)
    present = series.dropna()
    n_present = len(present)
    null_share = 1.0 - n_present / n if n else float("nan")
    counts = present.value_counts(dropna=True)
    n_distinct = int(len(counts))
    top_share = float(counts.iloc[0] / n_present) if n_present else float("nan")
    top_value = counts.index[0] if n_present else None
    if n == 0 or source_rows == 0:
        reason = "no_rows"
    elif null_share > MAX_NULL_SHARE:
        reason = "mostly_null"
    elif n_distinct < MIN_DISTINCT:
        reason = "constant"
    elif top_share >= MAX_TOP_VALUE_SHARE:
        reason = "dominant_value"
    else:
        reason = "informative"
    return {
        "n_rows": n,
        "null_share": null_share,
        "n_distinct": n_distinct,
        "top_value_share": top_share,
        "top_value": top_value,
        "is_informative": reason == "informative",
        "reason": reason,
    }


def feature_information(
    df: pd.DataFrame, columns: Sequence[str], source_rows: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """One row per column of ``columns`` (in that order) with :func:`column_information`.

    ``source_rows`` maps a column to its source's row count where the caller knows it. A
    column absent from ``df`` raises ``KeyError`` (a misspelled feature is a configuration
    error, not an uninformative column).
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the data: {missing}")
    rows = []
    for position, name in enumerate(columns):
        info = column_information(df[name], (source_rows or {}).get(name))
        rows.append({"feature": name, "position": position, **info})
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.astype({"feature": "str", "position": "int64", "n_rows": "int64", "is_informative": "bool"})


def explain(row: Mapping) -> str:
    """A reason code in words, with the figure behind it."""
    reason = row["reason"]
    if reason == "informative":
        return "informative"
    if reason == "no_rows":
        return "no rows to measure it on"
    if reason == "mostly_null":
        return f"{row['null_share']:.0%} of the values are null (more than {MAX_NULL_SHARE:.0%})"
    if reason == "constant":
        return f"{int(row['n_distinct'])} distinct value(s): the same for everybody"
    if reason == "dominant_value":
        return (
            f"one value holds {row['top_value_share']:.1%} of the non-null values "
            f"(at least {MAX_TOP_VALUE_SHARE:.0%})"
        )
    return str(reason)
