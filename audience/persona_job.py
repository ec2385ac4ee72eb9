"""The persona job behind the dbt Python model `segment_personas`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from audience import cluster_ids, personas


def build_segment_personas(
    clustered: pd.DataFrame,
    features: Sequence[str],
    currency: str = "$",
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Name and describe every cluster of `clustered`.

    `clustered` has person_id, cluster_id, model_version and the profile columns. `previous` is
    the persona table of the previous build (or None): cluster ids are stable across refits,
    so an id named before keeps its name (:func:`audience.cluster_ids.keep_persona_names`).
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
    table = cluster_ids.keep_persona_names(table, previous)
    versions = clustered["model_version"].dropna().unique()
    table.insert(1, "model_version", versions[0] if len(versions) else None)
    return table


def previous_table(session, this) -> pd.DataFrame | None:
    """The model's own table from the previous build (`dbt.this`), or None on the first build."""
    found = session.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [this.database, this.schema, this.identifier],
    ).fetchone()[0]
    return session.sql(f"select * from {this}").df() if found else None
