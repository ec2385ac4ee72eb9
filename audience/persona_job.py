"""The persona job behind the dbt Python model `segment_personas`.

Personas speak only of what the data holds: the clustering features the model was fitted on
(``cluster_feature_selection``), plus the other profile columns personas use (revenue,
recency, order count, order value, tenure) when they carry information in the clustered
population (:mod:`audience.feature_information`). Money is printed in the orders' currency
(:func:`audience.personas.currency_label`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from audience import cluster_ids, feature_information, personas

#: Columns of the persona input that are keys or labels, never a feature role.
_NOT_MEASURES = ("person_id", "cluster_id", "model_version", "favourite_category")


def informative_columns(clustered: pd.DataFrame, candidates: Sequence[str]) -> list[str]:
    """The columns of `candidates` that carry information in `clustered` (same rule as the fit)."""
    present = [c for c in candidates if c in clustered.columns]
    info = feature_information.feature_information(clustered, present)
    return [str(f) for f in info.loc[info["is_informative"], "feature"]]


def build_segment_personas(
    clustered: pd.DataFrame,
    features: Sequence[str],
    currency_codes: Sequence[str | None] = (),
    previous: pd.DataFrame | None = None,
    used_features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Name and describe every cluster of `clustered`.

    `clustered` has person_id, cluster_id, model_version and the profile columns. `features`
    are the configured clustering features and `used_features` those the model was fitted on
    (default: all); the others get no `mean_`/`z_` columns and no word in names or
    descriptions, and neither do other profile columns without information in `clustered`.
    `currency_codes` are the orders' currencies. `previous` is the persona table of the
    previous build (or None): cluster ids are stable across refits, so an id named before keeps
    its name (:func:`audience.cluster_ids.keep_persona_names`). No clustered people (the model
    was not fitted): an empty table with the usual columns.
    """
    used = [f for f in features if used_features is None or f in set(used_features)]
    measures = [c for c in clustered.columns if c not in _NOT_MEASURES]
    extras = [c for c in measures if c not in set(features)]
    keep = set(used) | set(informative_columns(clustered, extras))
    dropped = [c for c in measures if c not in keep]
    if clustered.empty or not used:
        return _empty_table(used)
    clustered = clustered.drop(columns=dropped).sort_values("person_id").reset_index(drop=True)
    prefix, note = personas.currency_label(list(currency_codes))
    table = personas.build_personas(
        clustered,
        "cluster_id",
        used,
        categories_col="favourite_category" if "favourite_category" in clustered else None,
        revenue_col="total_revenue" if "total_revenue" in clustered else None,
        currency=prefix,
        currency_note=note,
    )
    table = cluster_ids.keep_persona_names(table, previous)
    versions = clustered["model_version"].dropna().unique()
    table.insert(1, "model_version", versions[0] if len(versions) else None)
    return table


def _empty_table(features: Sequence[str]) -> pd.DataFrame:
    """The persona table with no rows (typed, so the warehouse table has proper columns)."""
    columns: dict[str, str] = {
        "cluster_id": "int64",
        "model_version": "string",
        "persona_name": "string",
        "description": "string",
        "size": "int64",
        "share": "float64",
        "revenue_share": "float64",
    }
    for f in features:
        columns[f"mean_{f}"] = "float64"
        columns[f"z_{f}"] = "float64"
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def currency_codes(orders_currencies: pd.DataFrame) -> list[str]:
    """The currency the profiles' amounts are in (`reporting_currency` of int_order_currencies).

    Revenue figures are never summed across currencies: orders in another currency are converted
    with a user-provided rate or left out, so every amount a persona describes is in this one.
    """
    if orders_currencies.empty:
        return []
    return sorted({str(c) for c in orders_currencies["reporting_currency"] if pd.notna(c)})
