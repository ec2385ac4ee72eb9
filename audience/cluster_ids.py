"""Stable cluster ids across refits, and the fit-time reference that drift is measured against.

A refit numbers its clusters 1..k by size (:func:`audience.clustering.fit_kmeans`), so the same
group can come back under another number, and campaigns keyed on "cluster 3" break. Here a new
fit is matched to the previous stored version:

1. **Common space.** Each version stores its transform (median fill, optional log1p, mean, std)
   and its centroids. The previous centroids are taken back to original feature units
   (:func:`original_centroids`, the inverse of the transform) and then through the *new*
   transform (:func:`standardize_original`), so both sets of centroids live in the new fit's
   standardized space even when the scaler changed between fits.
2. **Hungarian matching** (``scipy.optimize.linear_sum_assignment``) on the Euclidean distance
   between centroids in that space (:func:`match_clusters`). A pair counts as "the same group"
   only when its distance is at most ``max_distance`` standardized units; a new cluster left
   without a partner is **new** (it gets the next unused id), a previous one left without a
   partner has **vanished**.
3. **Agreement on people** (:func:`label_agreement`): the current fitting sample is labelled by
   the previous model (its own transform and centroids) and by the new one (stable ids); the
   adjusted Rand index and the share of people whose id changed say how much the refit moved.

Everything is deterministic and pure (no I/O), so it is unit-tested on simulated data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from audience import clustering

#: Default of the dbt var ``cluster_match_max_distance`` (standardized units).
DEFAULT_MAX_DISTANCE = 1.0
#: Number of bins of the fit-time feature reference (deciles).
DRIFT_BINS = 10


def _ordered(transform: pd.DataFrame) -> pd.DataFrame:
    return transform.sort_values("position").reset_index(drop=True)


def original_centroids(transform: pd.DataFrame, centroids: pd.DataFrame) -> pd.DataFrame:
    """Centroids in original feature units: the inverse of the fit's transform.

    ``transform`` has ``feature, position, use_log1p, mean, std, median_fill`` (one row per
    feature); ``centroids`` has ``cluster_id, feature, centroid_z``. For a log feature the
    original value is ``expm1(z * std + mean)`` (the centroid's geometric-mean-like point), for
    the others ``z * std + mean``. Returns ``cluster_id, feature, position, centroid_original``.
    """
    t = _ordered(transform).set_index("feature")
    out = centroids[["cluster_id", "feature", "centroid_z"]].copy()
    params = t.loc[out["feature"]]
    v = out["centroid_z"].to_numpy(float) * params["std"].to_numpy(float) + params["mean"].to_numpy(float)
    use_log = params["use_log1p"].astype(bool).to_numpy()
    out["centroid_original"] = np.where(use_log, np.expm1(v), v)
    out["position"] = params["position"].to_numpy(np.int64)
    return out[["cluster_id", "feature", "position", "centroid_original"]]


def standardize_original(original: pd.DataFrame, transform: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Put original-unit centroids through ``transform``: (cluster ids, ``(k, p)`` matrix).

    Raises ``ValueError`` when the two sides do not have the same features (matching needs one
    space; a change of ``cluster_features`` starts a new id series instead, see
    :func:`match_clusters`).
    """
    t = _ordered(transform)
    wide = original.pivot(index="cluster_id", columns="feature", values="centroid_original")
    missing = [f for f in t["feature"] if f not in wide.columns]
    if missing or len(wide.columns) != len(t):
        raise ValueError(f"features differ: stored {sorted(wide.columns)}, new {list(t['feature'])}")
    frame = wide[list(t["feature"])].reset_index()
    return wide.index.to_numpy(np.int64), clustering.apply_transform(frame, t)


@dataclass(frozen=True)
class MatchResult:
    """Outcome of :func:`match_clusters`.

    Attributes:
        stable_id: new fit cluster id (1..k) -> stable id.
        table: one row per stable id involved: ``cluster_id`` (stable), ``fit_cluster_id``
            (new fit id; null for vanished), ``status`` (``matched``, ``new``, ``vanished``),
            ``centroid_distance`` (to the matched previous centroid, standardized units of the
            new fit; for a new cluster the distance to the nearest previous one, for a
            vanished one the distance to the nearest new one).
    """

    stable_id: dict[int, int]
    table: pd.DataFrame


def match_clusters(
    new_centroids: np.ndarray,
    previous_ids: np.ndarray | None,
    previous_centroids: np.ndarray | None,
    next_id: int,
    max_distance: float = DEFAULT_MAX_DISTANCE,
) -> MatchResult:
    """Give each new cluster (row ``i`` = fit id ``i + 1``) a stable id.

    ``previous_centroids`` must already be in the new fit's space (:func:`standardize_original`).
    Hungarian matching minimises the total centroid distance; matched pairs farther apart than
    ``max_distance`` are treated as different groups. Unmatched new clusters get ``next_id``,
    ``next_id + 1``, ... in fit-id order (largest first), so an id is never reused for a
    different group. With no previous model every cluster is new and keeps its fit id
    (``next_id`` is then ignored).
    """
    new = np.asarray(new_centroids, dtype=np.float64)
    k = new.shape[0]
    rows = []
    stable: dict[int, int] = {}
    if previous_centroids is None or previous_ids is None or len(previous_ids) == 0:
        for i in range(k):
            stable[i + 1] = i + 1
            rows.append((i + 1, i + 1, "new", np.nan))
        return MatchResult(stable, _match_table(rows))
    prev = np.asarray(previous_centroids, dtype=np.float64)
    dist = np.sqrt(((new[:, None, :] - prev[None, :, :]) ** 2).sum(axis=2))
    r, c = linear_sum_assignment(dist)
    matched_prev = set()
    for i, j in zip(r, c, strict=True):
        if dist[i, j] <= max_distance:
            stable[i + 1] = int(previous_ids[j])
            matched_prev.add(j)
            rows.append((int(previous_ids[j]), i + 1, "matched", float(dist[i, j])))
    nxt = int(next_id)
    for i in range(k):
        if i + 1 not in stable:
            stable[i + 1] = nxt
            rows.append((nxt, i + 1, "new", float(dist[i].min())))
            nxt += 1
    for j, pid in enumerate(previous_ids):
        if j not in matched_prev:
            rows.append((int(pid), None, "vanished", float(dist[:, j].min())))
    return MatchResult(stable, _match_table(rows))


def _match_table(rows: list[tuple]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["cluster_id", "fit_cluster_id", "status", "centroid_distance"])
    return table.astype(
        {"cluster_id": "int64", "fit_cluster_id": "Int64", "status": "str", "centroid_distance": "float64"}
    ).sort_values("cluster_id", ignore_index=True)


def label_agreement(previous_labels: np.ndarray, new_labels: np.ndarray) -> dict[str, float]:
    """ARI and the share of rows whose (stable) id differs between two labellings of the same rows."""
    a = np.asarray(previous_labels)
    b = np.asarray(new_labels)
    if len(a) == 0:
        return {"ari": float("nan"), "share_changed": float("nan")}
    return {"ari": float(adjusted_rand_score(a, b)), "share_changed": float(np.mean(a != b))}


def member_jaccard(previous_labels: np.ndarray, new_labels: np.ndarray, cluster_id: int) -> float:
    """Jaccard overlap of the rows carrying ``cluster_id`` under both labellings (NaN if none)."""
    a = np.asarray(previous_labels) == cluster_id
    b = np.asarray(new_labels) == cluster_id
    union = int((a | b).sum())
    return float((a & b).sum() / union) if union else float("nan")


def feature_bins(profile: pd.DataFrame, transform: pd.DataFrame, n_bins: int = DRIFT_BINS) -> pd.DataFrame:
    """Fit-time reference distribution of each feature, for the population stability index.

    Values are median-filled like the transform does (no log: bins are on original units).
    Upper edges are the distinct interior quantiles ``1/n .. (n-1)/n``; bin ``b`` holds
    ``upper[b-1] < x <= upper[b]`` and the last bin is open above. Returns ``feature,
    position`` (bin, 0-based), ``upper_edge`` (null for the last bin) and ``fit_share``.
    """
    out = []
    for row in _ordered(transform).itertuples(index=False):
        raw = clustering.numeric_column(profile, str(row.feature))
        values = np.where(np.isnan(raw), float(row.median_fill), raw)
        edges = np.unique(np.quantile(values, np.arange(1, n_bins) / n_bins)) if len(values) else np.array([])
        bins = np.searchsorted(edges, values, side="left")  # x <= edge[b] -> bin b
        counts = np.bincount(bins, minlength=len(edges) + 1)
        total = max(len(values), 1)
        for b in range(len(edges) + 1):
            out.append(
                (str(row.feature), b, float(edges[b]) if b < len(edges) else np.nan, counts[b] / total)
            )
    return pd.DataFrame(out, columns=["feature", "position", "upper_edge", "fit_share"])


def population_stability_index(expected: np.ndarray, actual: np.ndarray, floor: float = 1e-4) -> float:
    """PSI = sum((actual - expected) * ln(actual / expected)), shares floored at ``floor``.

    The same formula as the SQL model ``cluster_drift``; used by the tests as its reference.
    """
    e = np.maximum(np.asarray(expected, dtype=float), floor)
    a = np.maximum(np.asarray(actual, dtype=float), floor)
    return float(((a - e) * np.log(a / e)).sum())


def keep_persona_names(table: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Give every cluster id that was named in the previous build its previous persona name.

    Ids are stable across refits (:func:`match_clusters`), so the same id means the same group
    and keeps its name; only new ids take their freshly generated name, with a number appended
    when it is already taken by a kept one ("Deal hunters 2"). Descriptions and statistics are
    always the current ones.
    """
    if previous is None or previous.empty or "persona_name" not in previous:
        return table
    kept = dict(zip(previous["cluster_id"].astype(int), previous["persona_name"].astype(str), strict=True))
    out = table.copy()
    names = {int(c): kept[int(c)] for c in out["cluster_id"] if int(c) in kept}
    taken = set(names.values())
    for c, generated in zip(out["cluster_id"].astype(int), out["persona_name"].astype(str), strict=True):
        if c in names:
            continue
        name, n = generated, 1
        while name in taken:
            n += 1
            name = f"{generated} {n}"
        names[c] = name
        taken.add(name)
    out["persona_name"] = [names[int(c)] for c in out["cluster_id"]]
    return out
