"""K-Means fit, nearest-centroid assignment and the feature transform, as SQL reproduces them.

Everything here is a pure function over pandas/numpy objects; every random step takes an
explicit ``seed``, so two calls with the same inputs return identical outputs.

The fit runs in Python on a *sample* of the person profile; scoring of all people happens in
SQL from two small stored tables, so the Python and SQL sides must do the same math:

1. **Transform** (:func:`fit_transform_params`, :func:`apply_transform`). For each feature,
   in ``position`` order::

       v = coalesce(x, median_fill)
       v = ln(1 + greatest(v, 0))          -- only when use_log1p
       z = (v - mean) / std

   ``median_fill`` is the median of the raw non-null values, ``mean``/``std`` are the population
   mean and standard deviation (``ddof=0``) of ``v`` on the fitting sample, and ``std`` is
   replaced by 1 when it is 0 (constant feature). Negative values of a log feature are clipped
   to 0 before ``log1p`` (``greatest(v, 0)`` in SQL): log features are meant to be non-negative
   counts or amounts, and a stray negative (a refund larger than the purchases, a data error)
   must not produce ``NaN`` or ``-inf``.

2. **Assignment** (:func:`assign`). A person belongs to the cluster whose centroid (in the
   standardized space, table :func:`model_table`) has the smallest squared Euclidean distance
   ``sum((z - centroid_z)^2)``; exact ties go to the lowest ``cluster_id``. In SQL::

       qualify row_number() over (partition by person_id order by dist, cluster_id) = 1

Cluster ids are **1-based** everywhere (``1..k``): in labels, in :class:`KMeansModel`, and in
every returned table. Cluster 1 is the largest cluster of the fit (see :func:`fit_kmeans`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_PARAM_COLUMNS = ["feature", "position", "use_log1p", "mean", "std", "median_fill"]
_ASSIGN_BLOCK_ELEMENTS = 1 << 22  # ~32 MB of float64 per block of distance work


# --------------------------------------------------------------------------------------------
# Feature transform
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureSpec:
    """Which profile columns feed the clustering, and which of them get ``log1p``.

    Attributes:
        features: feature column names, in matrix column order.
        log_features: the subset of ``features`` that is skewed and non-negative (counts,
            amounts, durations) and is log1p-transformed before the z-score.
    """

    features: tuple[str, ...]
    log_features: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "log_features", tuple(self.log_features))
        if not self.features:
            raise ValueError("FeatureSpec needs at least one feature")
        if len(set(self.features)) != len(self.features):
            raise ValueError(f"duplicate feature names: {list(self.features)}")
        unknown = [f for f in self.log_features if f not in self.features]
        if unknown:
            raise ValueError(f"log_features not in features: {unknown}")

    def fit(self, df: pd.DataFrame) -> pd.DataFrame:
        """Shortcut for :func:`fit_transform_params` with this spec."""
        return fit_transform_params(df, self.features, self.log_features)


def numeric_column(df: pd.DataFrame, name: str) -> FloatArray:
    """Column ``name`` of ``df`` as float64 with nulls as NaN (raises ``KeyError`` when absent)."""
    if name not in df.columns:
        raise KeyError(f"feature column {name!r} is not in the profile")
    return pd.to_numeric(df[name], errors="raise").astype("float64").to_numpy(na_value=np.nan)


def fit_transform_params(
    df: pd.DataFrame,
    features: Sequence[str] | FeatureSpec,
    log_features: Iterable[str] = (),
) -> pd.DataFrame:
    """Fit the per-feature transform on a profile sample.

    Args:
        df: one row per person; must hold every feature column (numeric, nulls allowed).
        features: feature names in matrix column order, or a :class:`FeatureSpec`
            (then ``log_features`` is taken from the spec).
        log_features: features that get ``log1p`` (after clipping negatives to 0).

    Returns:
        One row per feature with columns ``feature`` (str), ``position`` (0-based column index
        in the matrix of :func:`apply_transform`), ``use_log1p`` (bool), ``mean``, ``std``
        (population std of the filled, logged values; 1.0 when it is 0 or undefined) and
        ``median_fill`` (median of the raw non-null values, used for nulls; 0.0 when the column
        is entirely null).
    """
    spec = (
        features if isinstance(features, FeatureSpec) else FeatureSpec(tuple(features), tuple(log_features))
    )
    rows = []
    for position, name in enumerate(spec.features):
        raw = numeric_column(df, name)
        use_log = name in spec.log_features
        present = raw[~np.isnan(raw)]
        fill = float(np.median(present)) if present.size else 0.0
        values = _transform_column(raw, fill, use_log)
        mean = float(values.mean()) if values.size else 0.0
        std = float(values.std()) if values.size else 0.0
        if not math.isfinite(std) or std <= 1e-12:
            std = 1.0
        rows.append((name, position, use_log, mean, std, fill))
    params = pd.DataFrame(rows, columns=_PARAM_COLUMNS)
    return params.astype({"feature": "str", "position": "int64", "use_log1p": "bool"})


def _transform_column(raw: FloatArray, fill: float, use_log: bool) -> FloatArray:
    """Fill nulls and optionally clip-and-log one raw column (before the z-score)."""
    values = np.where(np.isnan(raw), fill, raw)
    if use_log:
        values = np.log1p(np.maximum(values, 0.0))
    return values


def apply_transform(df: pd.DataFrame, params: pd.DataFrame) -> FloatArray:
    """Standardize ``df`` with fitted ``params``: returns an ``(n, p)`` float64 matrix.

    Columns follow ``params.position``. The math is the SQL formula in the module docstring.
    """
    ordered = params.sort_values("position")
    out = np.empty((len(df), len(ordered)), dtype=np.float64)
    for j, row in enumerate(ordered.itertuples(index=False)):
        values = _transform_column(
            numeric_column(df, str(row.feature)), float(row.median_fill), bool(row.use_log1p)
        )
        out[:, j] = (values - float(row.mean)) / float(row.std)
    return out


# --------------------------------------------------------------------------------------------
# K-Means fit and nearest-centroid assignment
# --------------------------------------------------------------------------------------------


def as_matrix(X: npt.ArrayLike) -> FloatArray:
    """``X`` as a finite 2-d float64 matrix (ValueError otherwise)."""
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-d matrix, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("matrix holds NaN or infinite values; transform the profile first")
    return arr


def nearest(X: FloatArray, centroids: FloatArray) -> tuple[IntArray, FloatArray]:
    """0-based index of the nearest centroid and the squared distance to it, per row."""
    n, p = X.shape
    k = centroids.shape[0]
    if centroids.shape[1] != p:
        raise ValueError(f"centroids have {centroids.shape[1]} features, data has {p}")
    block = max(1, _ASSIGN_BLOCK_ELEMENTS // max(1, k * p))
    idx = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=np.float64)
    for start in range(0, n, block):
        chunk = X[start : start + block]
        # Direct differences (not the |x|^2 - 2xc + |c|^2 expansion), like the SQL sum.
        d2 = ((chunk[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        best = np.argmin(d2, axis=1)  # first minimum: ties go to the lowest id
        idx[start : start + block] = best
        dist[start : start + block] = d2[np.arange(len(chunk)), best]
    return idx, dist


def assign(X: npt.ArrayLike, centroids: npt.ArrayLike) -> IntArray:
    """Nearest-centroid labels (1-based cluster ids), exactly as the SQL scoring computes them.

    Distance is the squared Euclidean distance in the standardized space; ties go to the
    lowest cluster id.
    """
    idx, _ = nearest(as_matrix(X), as_matrix(centroids))
    return idx + 1


@dataclass(frozen=True)
class KMeansModel:
    """A fitted K-Means partition with deterministically ordered clusters.

    Attributes:
        k: number of clusters.
        seed: random seed of the fit.
        centroids: ``(k, p)`` centroids in the standardized space; row ``i`` is cluster
            ``i + 1``. Clusters are ordered by size (largest first), ties by centroid
            coordinates.
        labels: 1-based cluster id of every fitted row (nearest centroid, as :func:`assign`).
        sizes: rows per cluster, ``sizes[i]`` for cluster ``i + 1``.
        inertia: within-cluster sum of squares of ``labels`` (WCSS).
        n_iter: Lloyd iterations of the best initialization.
    """

    k: int
    seed: int
    centroids: FloatArray
    labels: IntArray
    sizes: IntArray
    inertia: float
    n_iter: int = 0
    cluster_ids: IntArray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cluster_ids", np.arange(1, self.k + 1, dtype=np.int64))

    def predict(self, X: npt.ArrayLike) -> IntArray:
        """Assign new standardized rows to the nearest centroid (1-based ids)."""
        return assign(X, self.centroids)


def _polish(X: FloatArray, centers: FloatArray, max_rounds: int = 100) -> tuple[FloatArray, IntArray]:
    """Finish Lloyd's algorithm exactly, in plain numpy: centroids = member means, to a fixed point.

    sklearn's centroids come from its own (chunked, possibly multi-threaded) summation and its
    own distance formula. Recomputing them as the means of their members until no row changes
    cluster under :func:`assign` makes the centroids a pure function of the partition and the
    partition a true Lloyd fixed point of the SQL distance. A cluster that loses all its rows
    keeps its previous centroid.
    """
    idx, _ = nearest(X, centers)
    for _ in range(max_rounds):
        new = centers.copy()
        for c in range(len(centers)):
            members = X[idx == c]
            if len(members):
                new[c] = members.mean(axis=0)
        new_idx, _ = nearest(X, new)
        centers = new
        if np.array_equal(new_idx, idx):
            break
        idx = new_idx
    return centers, idx


def fit_kmeans(X: npt.ArrayLike, k: int, seed: int, n_init: int = 10, max_iter: int = 300) -> KMeansModel:
    """Fit K-Means (k-means++ init, Lloyd) and order the clusters deterministically.

    The best of ``n_init`` initializations (sklearn ``KMeans``) is kept and polished to an exact
    Lloyd fixed point, so every centroid is the mean of its members and the result is
    bit-for-bit reproducible. Clusters are then renumbered by size (cluster 1 is the largest),
    ties broken by the centroid coordinates, so the same partition found from a different seed
    gets the same ids. ``labels`` come from :func:`assign`, exactly as the SQL scoring computes
    them.
    """
    X = as_matrix(X)
    if not 1 <= k <= len(X):
        raise ValueError(f"k={k} must be between 1 and the number of rows ({len(X)})")
    # tol=0: iterate to strict convergence (labels stop changing), so the polish is short.
    km = KMeans(n_clusters=k, n_init=n_init, max_iter=max_iter, tol=0.0, random_state=seed)
    with threadpool_limits(limits=1):
        km.fit(X)
    centers, idx = _polish(X, np.asarray(km.cluster_centers_, dtype=np.float64))
    sizes = np.bincount(idx, minlength=k)
    order = sorted(range(k), key=lambda c: (-int(sizes[c]), tuple(np.round(centers[c], 10))))
    centroids = centers[order]
    idx, dist = nearest(X, centroids)
    return KMeansModel(
        k=k,
        seed=seed,
        centroids=centroids,
        labels=idx + 1,
        sizes=np.bincount(idx, minlength=k).astype(np.int64),
        inertia=float(dist.sum()),
        n_iter=int(km.n_iter_),
    )


def model_table(params: pd.DataFrame, centroids: npt.ArrayLike | KMeansModel) -> pd.DataFrame:
    """Long table of centroids for SQL scoring: ``cluster_id, feature, position, centroid_z``.

    ``cluster_id`` is 1-based; ``position``/``feature`` come from ``params`` (the output of
    :func:`fit_transform_params`), so the table joins to it on ``feature``.
    """
    cents = centroids.centroids if isinstance(centroids, KMeansModel) else as_matrix(centroids)
    ordered = params.sort_values("position").reset_index(drop=True)
    if cents.shape[1] != len(ordered):
        raise ValueError(f"centroids have {cents.shape[1]} features, params {len(ordered)}")
    k, p = cents.shape
    return pd.DataFrame(
        {
            "cluster_id": np.repeat(np.arange(1, k + 1, dtype=np.int64), p),
            "feature": np.tile(ordered["feature"].astype(str).to_numpy(), k),
            "position": np.tile(ordered["position"].to_numpy(dtype=np.int64), k),
            "centroid_z": cents.reshape(-1),
        }
    )


# --------------------------------------------------------------------------------------------
# Choice of k
# --------------------------------------------------------------------------------------------


def sample_index(n: int, size: int | None, seed: int) -> IntArray:
    """Sorted row indices of a seeded sample without replacement (all rows if small)."""
    if size is None or size >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=size, replace=False)).astype(np.int64)
