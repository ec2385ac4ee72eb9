"""What the clustering is fitted on: the informative features and whether the data can be clustered.

:func:`selected_features` applies the shared rule of :mod:`audience.feature_information` to the
configured features on the fitting sample; :func:`unfit_reason` says why a sample cannot be
clustered (too few people, distinct profiles or informative features) and the largest k it
supports; :func:`feature_rows` is the ``feature_selection`` artifact a registry version stores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from audience import artifacts, feature_information

if TYPE_CHECKING:
    from audience.cluster_job import ClusterConfig

#: Fewest people per cluster a fit needs: k segments need at least k times this many people.
MIN_PEOPLE_PER_CLUSTER = 5


def selected_features(profile: pd.DataFrame, config: ClusterConfig) -> tuple[list[str], pd.DataFrame]:
    """The configured features that carry information in `profile`, and the full verdict table.

    A configured feature missing from the profile is a configuration error (ValueError naming it).
    """
    missing = [f for f in config.features if f not in profile.columns]
    if missing:
        raise ValueError(
            f"cluster_features names column(s) {missing} that customer_profiles does not have; "
            f"available: {sorted(profile.columns)}"
        )
    info = feature_information.feature_information(profile, list(config.features))
    return [str(f) for f in info.loc[info["is_informative"], "feature"]], info


def unfit_reason(profile: pd.DataFrame, used: list[str], config: ClusterConfig) -> tuple[str | None, int]:
    """Why `profile` cannot be clustered (None when it can), and the largest k it supports.

    A fit needs at least one informative feature, and for its smallest k (``fixed_k``, else
    ``max(k_min, 2)``) at least that many distinct feature profiles and
    :data:`MIN_PEOPLE_PER_CLUSTER` people per cluster. The largest k is the smallest of
    ``k_max``, the distinct profiles and people / :data:`MIN_PEOPLE_PER_CLUSTER`.
    """
    n = len(profile)
    k_low = int(config.fixed_k) if config.fixed_k is not None else max(int(config.k_min), 2)
    need = k_low * MIN_PEOPLE_PER_CLUSTER
    if n == 0:
        return "no eligible people (customer_profiles with at least cluster_min_orders orders)", 0
    if n < need:
        return f"only {n} eligible people: {k_low} segments need at least {need}", 0
    if not used:
        return f"no clustering feature carries information in this data ({n} eligible people)", 0
    distinct = len(profile[used].drop_duplicates())
    k_high = min(int(config.k_max), distinct, n // MIN_PEOPLE_PER_CLUSTER)
    if config.fixed_k is not None:
        k_high = k_low if k_low <= min(distinct, n // MIN_PEOPLE_PER_CLUSTER) else k_high
    if k_high < k_low:
        return (
            f"{n} eligible people with only {distinct} distinct feature profiles: "
            f"{k_low} segments need {k_low} distinct profiles",
            k_high,
        )
    return None, k_high


def feature_rows(info: pd.DataFrame) -> pd.DataFrame:
    """The feature_selection artifact rows (long: feature, position, metric, value / text_value)."""
    wide = info.assign(is_used=info["is_informative"].astype(float))
    rows = artifacts.long_metrics(
        wide, ["feature", "position"], ["is_used", "n_rows", "null_share", "n_distinct", "top_value_share"]
    )
    reasons = pd.DataFrame(
        {
            "feature": info["feature"],
            "position": info["position"],
            "metric": "reason",
            "text_value": [r if isinstance(r, str) else "informative" for r in info["reason"]],
        }
    )
    detail = pd.DataFrame(
        {
            "feature": info["feature"],
            "position": info["position"],
            "metric": "detail",
            "text_value": [feature_information.explain(r) for r in info.to_dict(orient="records")],
        }
    )
    return pd.concat([rows, reasons, detail], ignore_index=True)
