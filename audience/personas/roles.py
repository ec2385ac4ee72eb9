"""Feature roles of the persona profile and per-cluster levels.

A *role* is a well-known behavioural measure (recency, order frequency, average order value,
...) looked up among the profile columns by its usual names. A cluster's *level* on a column is
the mean population percentile rank of its members (0.5 = the population's typical person).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Usual column names for each feature role, in order of preference.
DEFAULT_ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "recency": ("recency_days", "days_since_last_order", "days_since_last_purchase", "recency"),
    "frequency": ("frequency", "order_count", "orders", "n_orders", "orders_count", "orders_365d"),
    "monetary": ("monetary", "avg_order_value", "aov", "average_order_value"),
    "revenue": ("revenue", "total_revenue", "net_revenue", "lifetime_revenue", "revenue_365d"),
    "tenure": ("tenure_days", "customer_age_days", "days_since_first_order", "tenure"),
    "discount": ("discount_share", "discount_rate", "discounted_order_share"),
    "sessions": ("sessions_90d", "sessions", "web_sessions_90d", "session_count"),
    "email": ("email_open_rate", "open_rate", "email_engagement"),
}


def resolve_roles(columns: Sequence[str], roles: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """Map each feature role to a profile column.

    ``roles`` overrides the defaults: ``{"frequency": "n_purchases"}`` sets a column,
    ``{"email": None}`` switches a role off. Other roles take the first of their
    :data:`DEFAULT_ROLE_ALIASES` present in ``columns``. Roles whose column is absent are left
    out. Unknown role names in ``roles`` are kept (they appear in descriptions only if known).
    """
    available = set(columns)
    overrides = dict(roles or {})
    out: dict[str, str] = {}
    for role, aliases in DEFAULT_ROLE_ALIASES.items():
        if role in overrides:
            col = overrides[role]
            if col is not None and col in available:
                out[role] = col
            continue
        for alias in aliases:
            if alias in available:
                out[role] = alias
                break
    for role, col in overrides.items():
        if role not in DEFAULT_ROLE_ALIASES and col is not None and col in available:
            out[role] = col
    return out


def _labels_array(profile_df: pd.DataFrame, labels: npt.ArrayLike | str) -> pd.Series:
    """Labels as a Series aligned positionally with ``profile_df`` (nulls allowed)."""
    if isinstance(labels, str):
        values = profile_df[labels].to_numpy()
    else:
        values = labels.to_numpy() if isinstance(labels, pd.Series) else np.asarray(labels)
    if len(values) != len(profile_df):
        raise ValueError(f"{len(values)} labels for {len(profile_df)} profile rows")
    return pd.Series(values, index=profile_df.index, name="cluster_id")


def labeled_rows(profile_df: pd.DataFrame, labels: npt.ArrayLike | str) -> tuple[pd.DataFrame, pd.Series]:
    """The rows with a label, and their labels (as int64 when every label is a whole number)."""
    lab = _labels_array(profile_df, labels)
    keep = lab.notna().to_numpy()
    df, lab = profile_df.loc[keep], lab[keep]
    numeric = pd.to_numeric(lab, errors="coerce")
    if len(lab) and numeric.notna().all() and (numeric % 1 == 0).all():
        lab = numeric.astype("int64")
    return df, lab.rename("cluster_id")


def numeric_column(profile_df: pd.DataFrame, col: str) -> pd.Series:
    """The column as float64, with values that are not numbers as NaN."""
    return pd.to_numeric(profile_df[col], errors="coerce").astype("float64")


def cluster_levels(values: pd.Series, labels: pd.Series) -> pd.Series:
    """Mean population percentile rank of each cluster's members (0.5 = typical)."""
    ranks = values.rank(method="average")
    n = values.notna().sum()
    pct = (ranks - 0.5) / n if n else ranks
    return pct.groupby(labels, sort=True).mean()
