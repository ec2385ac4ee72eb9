"""The persona job behind the dbt Python model `segment_personas`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from audience import personas


def build_segment_personas(
    clustered: pd.DataFrame, features: Sequence[str], currency: str = "$"
) -> pd.DataFrame:
    """Name and describe every cluster of `clustered`.

    `clustered` has person_id, cluster_id, model_version and the profile columns.
    """
    clustered = clustered.sort_values("person_id").reset_index(drop=True)
    table = personas.build_personas(
        clustered,
        "cluster_id",
        list(features),
        categories_col="favourite_category" if "favourite_category" in clustered else None,
        revenue_col="total_revenue" if "total_revenue" in clustered else None,
        currency=currency,
    )
    versions = clustered["model_version"].dropna().unique()
    table.insert(1, "model_version", versions[0] if len(versions) else None)
    return table
