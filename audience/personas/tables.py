"""Persona tables: per-feature comparison in long form, and one row per cluster."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from audience.personas.descriptions import describe_cluster
from audience.personas.naming import name_clusters
from audience.personas.roles import cluster_levels, labeled_rows, numeric_column, resolve_roles


def _described_columns(
    profile_df: pd.DataFrame, features: Sequence[str], role_map: Mapping[str, str]
) -> list[str]:
    cols = list(dict.fromkeys(features))
    missing = [f for f in cols if f not in profile_df.columns]
    if missing:
        raise KeyError(f"feature columns not in the profile: {missing}")
    cols += [c for c in role_map.values() if c not in cols]
    return cols


def persona_features(
    profile_df: pd.DataFrame,
    labels: npt.ArrayLike | str,
    features: Sequence[str],
    roles: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """Per cluster and feature: how the cluster differs from the population (long form).

    Covers ``features`` plus any role column found in the profile. Columns: ``cluster_id``,
    ``feature``, ``role`` (or null), ``cluster_mean``, ``population_mean``, ``z_diff``
    (``(cluster_mean - population_mean) / population_std``, population std with ``ddof=0``,
    0 for a constant feature), ``ratio`` (``cluster_mean / population_mean``, null when the
    population mean is 0) and ``level`` (mean population percentile rank of the members,
    0.5 = typical). Rows with a null label are left out; nulls in a feature are ignored.
    """
    df, lab = labeled_rows(profile_df, labels)
    role_map = resolve_roles(list(df.columns), roles)
    role_of = {col: role for role, col in role_map.items()}
    rows = []
    for col in _described_columns(df, features, role_map):
        values = numeric_column(df, col)
        pop_mean = float(values.mean())
        pop_std = float(values.std(ddof=0))
        cl_mean = values.groupby(lab, sort=True).mean()
        lvl = cluster_levels(values, lab)
        for cid in cl_mean.index:
            m = float(cl_mean[cid])
            z = (m - pop_mean) / pop_std if pop_std > 0 and math.isfinite(pop_std) else 0.0
            ratio = m / pop_mean if pop_mean != 0 and math.isfinite(pop_mean) else float("nan")
            rows.append((cid, col, role_of.get(col), m, pop_mean, z, ratio, float(lvl.get(cid, np.nan))))
    out = pd.DataFrame(
        rows,
        columns=[
            "cluster_id",
            "feature",
            "role",
            "cluster_mean",
            "population_mean",
            "z_diff",
            "ratio",
            "level",
        ],
    )
    return out.sort_values(["cluster_id", "feature"], kind="stable", ignore_index=True)


def _top_categories(
    categories: pd.Series, labels: pd.Series, clusters: Sequence[object], top: int
) -> pd.DataFrame:
    rows = {}
    frame = pd.DataFrame({"cat": categories, "cluster_id": labels}).dropna()
    frame["cat"] = frame["cat"].astype(str)
    for cid in clusters:
        counts = frame.loc[frame["cluster_id"] == cid, "cat"].value_counts()
        total = int(counts.sum())
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        row: dict[str, object] = {}
        for i in range(top):
            if i < len(ranked):
                row[f"top_category_{i + 1}"] = ranked[i][0]
                row[f"top_category_{i + 1}_share"] = ranked[i][1] / total
            else:
                row[f"top_category_{i + 1}"] = None
                row[f"top_category_{i + 1}_share"] = float("nan")
        row["top_categories"] = ", ".join(f"{c} {n / total:.0%}" for c, n in ranked) if ranked else None
        rows[cid] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def build_personas(
    profile_df: pd.DataFrame,
    labels: npt.ArrayLike | str,
    features: Sequence[str],
    categories_col: str | None = None,
    revenue_col: str | None = None,
    roles: Mapping[str, str | None] | None = None,
    currency: str = "$",
    top_categories: int = 3,
    currency_note: str = "",
) -> pd.DataFrame:
    """One row per cluster: size, shares, profile, top categories, name and description.

    Args:
        profile_df: one row per person with the feature columns (and optional role, category
            and revenue columns).
        labels: cluster id per profile row (positional, same length), or the name of a label
            column of ``profile_df``. Rows with a null label are left out.
        features: the clustering features; each gets ``mean_<feature>`` and ``z_<feature>``
            columns (see :func:`persona_features` for the definitions).
        categories_col: column with each person's favourite category; adds
            ``top_category_1..n``, ``top_category_<i>_share`` (share of the cluster's people
            with a known category) and a readable ``top_categories`` string.
        revenue_col: revenue per person for ``revenue_share``; defaults to the ``revenue`` role
            column. Also used as the revenue role when none is set. Nulls count as 0. Without
            any revenue column ``revenue_share`` is null.
        roles: feature-role mapping overriding :data:`DEFAULT_ROLE_ALIASES`
            (``{"frequency": "n_purchases", "email": None}``).
        currency: prefix of amounts in descriptions (:func:`currency_label`).
        top_categories: how many categories to list.
        currency_note: appended to every description, e.g. that amounts mix currencies.

    Returns:
        Columns ``cluster_id, persona_name, description, size, share, revenue_share``, the
        category columns when ``categories_col`` is given, then ``mean_<f>`` and ``z_<f>`` per
        feature; sorted by ``cluster_id``. ``share`` sums to 1, and so does ``revenue_share``
        when total revenue is positive.
    """
    df, lab = labeled_rows(profile_df, labels)
    role_overrides = dict(roles or {})
    if revenue_col is not None and "revenue" not in role_overrides:
        role_overrides["revenue"] = revenue_col
    role_map = resolve_roles(list(df.columns), role_overrides)
    long = persona_features(df, lab.to_numpy(), features, role_overrides)

    sizes = lab.value_counts().sort_index()
    clusters = list(sizes.index)
    total = int(sizes.sum())
    out = pd.DataFrame({"cluster_id": clusters, "size": sizes.to_numpy(dtype=np.int64)})
    out["share"] = out["size"] / total if total else np.nan
    rev_col = revenue_col if revenue_col is not None else role_map.get("revenue")
    out["revenue_share"] = _revenue_shares(df, lab, clusters, rev_col)

    # Names and descriptions from the role levels.
    levels = _role_levels(long, role_map, clusters)
    names = name_clusters(levels, dict(zip(clusters, out["size"].tolist(), strict=True)))
    descriptions = [
        _describe(long, levels, cid, features, role_map, currency, currency_note) for cid in clusters
    ]
    out.insert(1, "persona_name", [names[c] for c in clusters])
    out.insert(2, "description", descriptions)

    if categories_col is not None:
        cats = _top_categories(df[categories_col], lab, clusters, top_categories)
        cat_cols = ["top_categories"] + [
            c for i in range(1, top_categories + 1) for c in (f"top_category_{i}", f"top_category_{i}_share")
        ]
        out = pd.concat([out, cats.reindex(clusters)[cat_cols].reset_index(drop=True)], axis=1)

    for f in dict.fromkeys(features):
        sub = long[long["feature"] == f].set_index("cluster_id")
        out[f"mean_{f}"] = sub["cluster_mean"].reindex(clusters).to_numpy()
        out[f"z_{f}"] = sub["z_diff"].reindex(clusters).to_numpy()
    return out.sort_values("cluster_id", ignore_index=True)


def _revenue_shares(
    df: pd.DataFrame, lab: pd.Series, clusters: Sequence[object], rev_col: str | None
) -> list[float] | float:
    """Each cluster's share of total revenue (nulls count as 0); NaN without a revenue column
    or when total revenue is not positive."""
    if rev_col is None:
        return np.nan
    rev = numeric_column(df, rev_col).fillna(0.0)
    by_cluster = rev.groupby(lab, sort=True).sum()
    rev_total = float(rev.sum())
    return [float(by_cluster.get(c, 0.0)) / rev_total if rev_total > 0 else np.nan for c in clusters]


def _role_levels(long: pd.DataFrame, role_map: Mapping[str, str], clusters: Sequence[object]) -> pd.DataFrame:
    """``cluster x role`` table of levels from the long per-feature comparison."""
    role_of_col = {col: role for role, col in role_map.items()}
    lv = long[long["feature"].isin(role_of_col)].assign(role=lambda d: d["feature"].map(role_of_col))
    levels = lv.pivot_table(index="cluster_id", columns="role", values="level", aggfunc="first")
    return levels.reindex(clusters)


def _describe(
    long: pd.DataFrame,
    levels: pd.DataFrame,
    cid: object,
    features: Sequence[str],
    role_map: Mapping[str, str],
    currency: str,
    currency_note: str,
) -> str:
    """The description of cluster ``cid`` (:func:`describe_cluster`), with its three most
    distinctive features as the fallback."""
    sub = long[long["cluster_id"] == cid]
    means = dict(zip(sub["feature"], sub["cluster_mean"], strict=True))
    pops = dict(zip(sub["feature"], sub["population_mean"], strict=True))
    cl_levels = (
        {r: float(v) for r, v in levels.loc[cid].items() if pd.notna(v)} if len(levels.columns) else {}
    )
    feats = (
        sub[sub["feature"].isin(features)]
        .assign(a=lambda d: d["z_diff"].abs())
        .sort_values(["a", "feature"], ascending=[False, True])
    )
    fallback = [(str(r.feature), float(r.cluster_mean), float(r.ratio)) for r in feats.head(3).itertuples()]
    return describe_cluster(means, pops, cl_levels, role_map, currency, fallback, currency_note)
