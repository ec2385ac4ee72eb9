"""Structure and stability of a K-Means partition: the Ward hierarchy over its clusters and the
checks of :func:`validation_table` (silhouette, seed stability, split-half holdout, agreement
with Ward, bootstrap Jaccard per cluster, cluster shares).

Every random step takes an explicit ``seed``; two calls with the same inputs return identical
outputs.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score

from audience.k_selection import silhouettes
from audience.kmeans import FloatArray, IntArray, KMeansModel, as_matrix, assign, fit_kmeans, sample_index

#: Default thresholds of :func:`validation_table`: ``metric -> (threshold, direction)``, where
#: direction ``"min"`` means the value should be at least the threshold.
DEFAULT_THRESHOLDS: dict[str, tuple[float, str]] = {
    "silhouette": (0.25, "min"),
    "seed_stability_mean_ari": (0.8, "min"),
    "seed_stability_min_ari": (0.6, "min"),
    "holdout_ari": (0.7, "min"),
    "ward_kmeans_ari": (0.5, "min"),
    "bootstrap_jaccard": (0.6, "min"),
    "cluster_share": (0.01, "min"),
}


# --------------------------------------------------------------------------------------------
# Hierarchy
# --------------------------------------------------------------------------------------------


def ward_hierarchy(
    centroids: npt.ArrayLike | KMeansModel, sizes: npt.ArrayLike | None = None
) -> pd.DataFrame:
    """Weighted Ward agglomeration of K-Means centroids into a nested hierarchy.

    Starting from the ``k`` clusters (weights = cluster sizes), the pair with the smallest
    Ward cost ``n_a n_b / (n_a + n_b) * ||c_a - c_b||^2`` (the increase of the total WCSS when
    the two are merged) is merged into its weighted mean, until one group is left; ties go to
    the pair with the smallest member cluster ids. This is exactly Ward's method run on the
    original rows, if every row sat on its cluster centroid.

    Returns one row per leaf cluster and level ``2..k`` with columns ``cluster_id`` (1-based
    leaf), ``level`` (number of groups at that level), ``parent_id`` (group at that level,
    numbered ``1..level`` in order of each group's smallest member cluster id) and
    ``parent_size`` (total size of the group). Level ``k`` maps every cluster to itself and the
    levels nest: two clusters sharing a parent at level ``l + 1`` share one at level ``l``.
    With ``k == 1`` the table is empty.
    """
    if isinstance(centroids, KMeansModel):
        cents, weights = centroids.centroids, centroids.sizes.astype(np.float64)
    else:
        cents = as_matrix(centroids)
        if sizes is None:
            raise ValueError("sizes are required with a centroid matrix")
        weights = np.asarray(sizes, dtype=np.float64)
    k = cents.shape[0]
    if weights.shape != (k,):
        raise ValueError(f"sizes must have length {k}")
    if (weights < 0).any():
        raise ValueError("sizes must be non-negative")
    # An empty cluster still needs a place in the tree: give it a tiny weight.
    weights = np.where(weights > 0, weights, 1e-9)

    groups: list[tuple[list[int], FloatArray, float]] = [
        ([c + 1], cents[c].copy(), float(weights[c])) for c in range(k)
    ]
    rows: list[tuple[int, int, int, int]] = []

    def emit(level: int) -> None:
        ordered = sorted(groups, key=lambda g: min(g[0]))
        for parent, (members, _, weight) in enumerate(ordered, start=1):
            for cid in members:
                rows.append((cid, level, parent, int(round(weight))))

    emit(k)
    while len(groups) > 2:
        best: tuple[float, int, int, int, int] | None = None
        for i, j in itertools.combinations(range(len(groups)), 2):
            mi, ci, wi = groups[i]
            mj, cj, wj = groups[j]
            cost = wi * wj / (wi + wj) * float(((ci - cj) ** 2).sum())
            key = (cost, *sorted((min(mi), min(mj))), i, j)
            if best is None or key[:3] < best[:3]:
                best = key
        assert best is not None
        _, _, _, i, j = best
        mi, ci, wi = groups[i]
        mj, cj, wj = groups[j]
        merged = (sorted(mi + mj), (wi * ci + wj * cj) / (wi + wj), wi + wj)
        groups = [g for idx, g in enumerate(groups) if idx not in (i, j)] + [merged]
        emit(len(groups))
    if k < 2:
        rows = []
    table = pd.DataFrame(rows, columns=["cluster_id", "level", "parent_id", "parent_size"], dtype="int64")
    return table.sort_values(["level", "cluster_id"], ignore_index=True)


def ward_on_sample(X_sample: npt.ArrayLike, k: int, max_rows: int = 10000) -> IntArray:
    """Ward clustering (sklearn ``AgglomerativeClustering``) of a sample, 1-based labels.

    Used only to compare with K-Means (:func:`ward_kmeans_ari`). Ward needs memory quadratic in
    the rows, so samples above ``max_rows`` are refused; draw a sample first.
    Labels are ordered like :func:`fit_kmeans` (1 = largest group).
    """
    X = as_matrix(X_sample)
    if len(X) > max_rows:
        raise ValueError(f"ward_on_sample got {len(X)} rows; sample at most {max_rows} first")
    raw = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(X)
    sizes = np.bincount(raw, minlength=k)
    order = sorted(
        range(k), key=lambda c: (-int(sizes[c]), int(np.flatnonzero(raw == c)[0]) if sizes[c] else 0)
    )
    remap = np.empty(k, dtype=np.int64)
    remap[order] = np.arange(1, k + 1)
    return remap[raw]


def ward_kmeans_ari(
    X: npt.ArrayLike, centroids: npt.ArrayLike | KMeansModel, seed: int = 0, sample_size: int = 3000
) -> float:
    """Adjusted Rand index between Ward and K-Means labels on one seeded sample of ``X``.

    Both methods minimize within-cluster variance, so on data with real groups they agree
    (ARI near 1); a low value says the K-Means partition is an arbitrary cut of a continuum.
    """
    X = as_matrix(X)
    cents = centroids.centroids if isinstance(centroids, KMeansModel) else as_matrix(centroids)
    sample = X[sample_index(len(X), sample_size, seed)]
    ward = ward_on_sample(sample, cents.shape[0], max_rows=max(sample_size, 1))
    return float(adjusted_rand_score(assign(sample, cents), ward))


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def seed_stability(
    X: npt.ArrayLike,
    k: int,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    n_init: int = 4,
    sample_size: int | None = 20000,
    sample_seed: int = 0,
) -> dict[str, float]:
    """Agreement of K-Means runs with different seeds.

    Fits one model per seed (on one seeded sample of ``sample_size`` rows, the same for every
    run) and returns ``{"mean_ari", "min_ari", "n_runs"}`` over all pairs of runs.
    """
    X = as_matrix(X)
    if len(seeds) < 2:
        raise ValueError("seed_stability needs at least two seeds")
    sample = X[sample_index(len(X), sample_size, sample_seed)]
    labelings = [fit_kmeans(sample, k, seed=int(s), n_init=n_init).labels for s in seeds]
    aris = [adjusted_rand_score(a, b) for a, b in itertools.combinations(labelings, 2)]
    return {"mean_ari": float(np.mean(aris)), "min_ari": float(np.min(aris)), "n_runs": float(len(seeds))}


def bootstrap_jaccard(
    X: npt.ArrayLike,
    k: int,
    n_boot: int = 20,
    seed: int = 0,
    centroids: npt.ArrayLike | KMeansModel | None = None,
    sample_size: int | None = 5000,
    n_init: int = 3,
) -> pd.DataFrame:
    """Per-cluster bootstrap stability (Hennig's clusterboot with Jaccard similarity).

    On a seeded subsample of ``sample_size`` rows: the original partition is the nearest
    centroid of ``centroids`` (the production model, so cluster ids match) or, without
    centroids, a fresh K-Means fit. Each of ``n_boot`` rounds draws rows with replacement,
    refits K-Means with ``k`` clusters on them, and for every original cluster records the
    largest Jaccard similarity ``|A & B| / |A | B|`` with a bootstrap cluster, both restricted
    to the distinct rows present in the bootstrap draw.

    Returns one row per cluster: ``cluster_id``, ``mean_jaccard``, ``min_jaccard``,
    ``dissolved_share`` (rounds with Jaccard < 0.5) and ``n_boot`` (rounds in which the
    cluster had rows). Hennig's reading: mean below 0.5-0.6 is not a stable cluster, 0.75 and
    above is stable.
    """
    X = as_matrix(X)
    rng = np.random.default_rng(seed)
    Xs = X[sample_index(len(X), sample_size, seed)]
    if centroids is None:
        original = fit_kmeans(Xs, k, seed=seed, n_init=n_init).labels
    else:
        cents = centroids.centroids if isinstance(centroids, KMeansModel) else as_matrix(centroids)
        if cents.shape[0] != k:
            raise ValueError(f"centroids hold {cents.shape[0]} clusters, k={k}")
        original = assign(Xs, cents)
    n = len(Xs)
    scores: list[list[float]] = [[] for _ in range(k)]
    for b in range(n_boot):
        draw = rng.integers(0, n, size=n)
        boot_labels = fit_kmeans(Xs[draw], k, seed=seed + 1 + b, n_init=n_init).labels
        present = np.unique(draw)
        # Each distinct row gets the bootstrap label of (any copy of) it; copies of one row are
        # identical, so they share a nearest centroid.
        row_label = np.zeros(n, dtype=np.int64)
        row_label[draw] = boot_labels
        orig_p = original[present]
        boot_p = row_label[present]
        # Contingency table of original x bootstrap clusters on the present rows.
        table = np.zeros((k + 1, k + 1), dtype=np.int64)
        np.add.at(table, (orig_p, boot_p), 1)
        table = table[1:, 1:]
        a_sizes = table.sum(axis=1)
        b_sizes = table.sum(axis=0)
        union = a_sizes[:, None] + b_sizes[None, :] - table
        with np.errstate(invalid="ignore", divide="ignore"):
            jac = np.where(union > 0, table / np.maximum(union, 1), 0.0)
        for c in range(k):
            if a_sizes[c] > 0:
                scores[c].append(float(jac[c].max()))
    rows = []
    for c in range(k):
        s = np.asarray(scores[c])
        rows.append(
            {
                "cluster_id": c + 1,
                "mean_jaccard": float(s.mean()) if s.size else float("nan"),
                "min_jaccard": float(s.min()) if s.size else float("nan"),
                "dissolved_share": float((s < 0.5).mean()) if s.size else float("nan"),
                "n_boot": int(s.size),
            }
        )
    return pd.DataFrame(rows).astype({"cluster_id": "int64", "n_boot": "int64"})


def holdout_ari(X: npt.ArrayLike, k: int, seed: int = 0, n_init: int = 4) -> float:
    """Split-half replication: do two halves of the data find the same segments?

    Rows are shuffled with ``seed`` and split into halves A and B. K-Means is fitted on A and
    B is assigned to A's nearest centroid; K-Means is also fitted on B itself. The result is
    the adjusted Rand index between the two labelings of B (1 = the same partition).
    """
    X = as_matrix(X)
    if len(X) < 2 * k:
        raise ValueError("too few rows for a split-half check")
    perm = np.random.default_rng(seed).permutation(len(X))
    half = len(X) // 2
    a, b = X[np.sort(perm[:half])], X[np.sort(perm[half:])]
    from_a = assign(b, fit_kmeans(a, k, seed=seed, n_init=n_init).centroids)
    own_b = fit_kmeans(b, k, seed=seed, n_init=n_init).labels
    return float(adjusted_rand_score(from_a, own_b))


def validation_table(
    X: npt.ArrayLike,
    model: KMeansModel,
    seed: int = 0,
    *,
    n_seeds: int = 5,
    n_init: int = 4,
    n_boot: int = 20,
    boot_sample: int | None = 5000,
    stability_sample: int | None = 20000,
    ward_sample: int = 3000,
    silhouette_sample: int | None = 10000,
    thresholds: Mapping[str, tuple[float, str]] | None = None,
) -> pd.DataFrame:
    """Run every check on the fitting matrix ``X`` for ``model``; long table of results.

    Columns: ``metric``, ``cluster_id`` (nullable ``Int64``; set for per-cluster metrics),
    ``value``, ``threshold`` (nullable float), ``status`` (``'ok'`` or ``'warn'``; ``'warn'``
    when the value is missing or on the wrong side of the threshold).

    Metrics: ``silhouette`` (sampled), ``seed_stability_mean_ari`` / ``seed_stability_min_ari``
    (:func:`seed_stability`), ``holdout_ari`` (:func:`holdout_ari`), ``ward_kmeans_ari``
    (:func:`ward_kmeans_ari`), and per cluster ``bootstrap_jaccard``
    (:func:`bootstrap_jaccard`) and ``cluster_share``. Thresholds default to
    :data:`DEFAULT_THRESHOLDS`; pass a mapping to override some of them.
    """
    X = as_matrix(X)
    th = dict(DEFAULT_THRESHOLDS)
    if thresholds:
        th.update(thresholds)
    k = model.k
    rows: list[tuple[str, int | None, float]] = []

    sample = sample_index(len(X), silhouette_sample, seed)
    labels = assign(X, model.centroids)
    rows.append(("silhouette", None, silhouettes(X[sample], [labels[sample]])[0]))
    if k > 1:
        stab = seed_stability(
            X,
            k,
            seeds=[seed + i for i in range(n_seeds)],
            n_init=n_init,
            sample_size=stability_sample,
            sample_seed=seed,
        )
        rows.append(("seed_stability_mean_ari", None, stab["mean_ari"]))
        rows.append(("seed_stability_min_ari", None, stab["min_ari"]))
        rows.append(("holdout_ari", None, holdout_ari(X, k, seed=seed, n_init=n_init)))
        rows.append(("ward_kmeans_ari", None, ward_kmeans_ari(X, model, seed=seed, sample_size=ward_sample)))
        boot = bootstrap_jaccard(
            X, k, n_boot=n_boot, seed=seed, centroids=model, sample_size=boot_sample, n_init=n_init
        )
        rows.extend(
            ("bootstrap_jaccard", int(r.cluster_id), float(r.mean_jaccard)) for r in boot.itertuples()
        )
    sizes = np.bincount(labels - 1, minlength=k)
    rows.extend(("cluster_share", c + 1, float(sizes[c] / len(X))) for c in range(k))

    out = []
    for metric, cid, value in rows:
        threshold, direction = th.get(metric, (float("nan"), "min"))
        if not np.isfinite(value):
            status = "warn"
        elif not np.isfinite(threshold):
            status = "ok"
        elif direction == "max":
            status = "ok" if value <= threshold else "warn"
        else:
            status = "ok" if value >= threshold else "warn"
        out.append((metric, cid, value, threshold, status))
    table = pd.DataFrame(out, columns=["metric", "cluster_id", "value", "threshold", "status"])
    return table.astype(
        {"metric": "str", "cluster_id": "Int64", "value": "float64", "threshold": "float64", "status": "str"}
    )
