"""K-Means segmentation of a profile: transform, choice of k, fit, Ward hierarchy and checks.

:func:`segment` runs the whole pipeline on a profile sample. The parts live in their own
modules and are re-exported here, so ``audience.clustering`` stays the one entry point:

* :mod:`audience.kmeans` - the feature transform, the K-Means fit and the nearest-centroid
  assignment, with the exact math the SQL scoring reproduces;
* :mod:`audience.k_selection` - the scan over k and the rule that picks k (default
  ``"combined"``, see :func:`choose_k`), honouring the segment contracts;
* :mod:`audience.cluster_stability` - the Ward hierarchy and the stability checks.

Everything is a pure function over pandas/numpy objects; every random step takes an explicit
``seed``, so two calls with the same inputs return identical outputs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audience.cluster_stability import (
    DEFAULT_THRESHOLDS,
    bootstrap_jaccard,
    holdout_ari,
    seed_stability,
    validation_table,
    ward_hierarchy,
    ward_kmeans_ari,
    ward_on_sample,
)
from audience.k_selection import (
    MIN_CLUSTER_SHARE,
    SILHOUETTE_TOLERANCE,
    KRule,
    choose_k,
    knee_k,
    meets_contracts,
    select_k,
    silhouettes,
)
from audience.kmeans import (
    FeatureSpec,
    FloatArray,
    IntArray,
    KMeansModel,
    apply_transform,
    as_matrix,
    assign,
    fit_kmeans,
    fit_transform_params,
    model_table,
    nearest,
    numeric_column,
    sample_index,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MIN_CLUSTER_SHARE",
    "SILHOUETTE_TOLERANCE",
    "FeatureSpec",
    "FloatArray",
    "IntArray",
    "KMeansModel",
    "KRule",
    "SegmentationResult",
    "apply_transform",
    "as_matrix",
    "assign",
    "bootstrap_jaccard",
    "choose_k",
    "fit_kmeans",
    "fit_transform_params",
    "holdout_ari",
    "knee_k",
    "meets_contracts",
    "model_table",
    "nearest",
    "numeric_column",
    "sample_index",
    "seed_stability",
    "segment",
    "select_k",
    "silhouettes",
    "validation_table",
    "ward_hierarchy",
    "ward_kmeans_ari",
    "ward_on_sample",
]


# --------------------------------------------------------------------------------------------
# Whole pipeline
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentationResult:
    """Everything one segmentation run produces (see :func:`segment`).

    Attributes:
        k: the chosen number of clusters.
        reason: why that k (from :func:`choose_k`).
        params: transform table (:func:`fit_transform_params`).
        model: the fitted :class:`KMeansModel` on the sample.
        centroids: long centroid table for SQL scoring (:func:`model_table`).
        k_table: per-k diagnostics (:func:`select_k`) with a ``chosen`` flag.
        hierarchy: Ward hierarchy over the clusters (:func:`ward_hierarchy`).
        validation: checks (:func:`validation_table`), or ``None`` when skipped.
        assignments: ``person_id`` (or row number) and ``cluster_id`` of the sample rows.
        timings: seconds per step.
        status: ``"fitted"`` when the model's cluster shares meet the segment contracts
            (:func:`meets_contracts`), ``"fallback"`` when they do not (no k could).
    """

    k: int
    reason: str
    params: pd.DataFrame
    model: KMeansModel
    centroids: pd.DataFrame
    k_table: pd.DataFrame
    hierarchy: pd.DataFrame
    validation: pd.DataFrame | None
    assignments: pd.DataFrame
    timings: dict[str, float]
    status: str = "fitted"


def segment(
    profile: pd.DataFrame,
    features: Sequence[str] | FeatureSpec,
    log_features: Iterable[str] = (),
    *,
    k_min: int = 2,
    k_max: int = 8,
    seed: int = 42,
    rule: KRule = "combined",
    fixed_k: int | None = None,
    n_init: int = 10,
    select_n_init: int = 4,
    silhouette_sample: int | None = 10000,
    min_cluster_share: float = MIN_CLUSTER_SHARE,
    max_cluster_share: float | None = None,
    validate: bool = True,
    thresholds: Mapping[str, tuple[float, str]] | None = None,
    id_column: str = "person_id",
) -> SegmentationResult:
    """Fit the whole segmentation on a profile sample: transform, choose k, fit, hierarchy, checks.

    ``select_n_init`` initializations are used per k while choosing k, ``n_init`` for the final
    model. With ``fixed_k`` the k scan still runs (its table is informative) but does not decide.
    ``min_cluster_share`` / ``max_cluster_share`` are the segment contracts of :func:`choose_k`;
    the final model's own shares decide ``status`` (when the final fit of the chosen k breaks a
    contract the scan's fit met, the other k that met it are tried in order); ``thresholds``
    override :data:`DEFAULT_THRESHOLDS` in :func:`validation_table`. Timings (seconds per step)
    are measured, so they are the only part of the result that differs between two runs.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    params = fit_transform_params(profile, features, log_features)
    X = apply_transform(profile, params)
    timings["transform"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    k_table = select_k(X, k_min, k_max, seed=seed, silhouette_sample=silhouette_sample, n_init=select_n_init)
    k, reason = choose_k(k_table, rule, fixed_k, SILHOUETTE_TOLERANCE, min_cluster_share, max_cluster_share)
    timings["select_k"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    search = fixed_k is None and rule == "combined"
    k, reason, model, status = _fit_meeting_contracts(
        X, k_table, k, reason, seed, n_init, min_cluster_share, max_cluster_share, search
    )
    k_table = k_table.assign(chosen=k_table["k"] == k)
    timings["fit"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    hierarchy = ward_hierarchy(model)
    timings["hierarchy"] = time.perf_counter() - t0

    validation = None
    if validate:
        t0 = time.perf_counter()
        validation = validation_table(
            X, model, seed=seed, silhouette_sample=silhouette_sample, thresholds=thresholds
        )
        timings["validation"] = time.perf_counter() - t0

    ids = profile[id_column].to_numpy() if id_column in profile.columns else np.arange(len(profile))
    assignments = pd.DataFrame({id_column: ids, "cluster_id": model.labels})
    return SegmentationResult(
        k=k,
        reason=reason,
        params=params,
        model=model,
        centroids=model_table(params, model),
        k_table=k_table,
        hierarchy=hierarchy,
        validation=validation,
        assignments=assignments,
        timings=timings,
        status=status,
    )


def _fit_meeting_contracts(
    X: FloatArray,
    k_table: pd.DataFrame,
    k: int,
    reason: str,
    seed: int,
    n_init: int,
    min_cluster_share: float,
    max_cluster_share: float | None,
    search: bool = True,
) -> tuple[int, str, KMeansModel, str]:
    """Final fit of the chosen k, checked against the contracts: ``(k, reason, model, status)``.

    The final fit (more initializations) can differ from the scan's fit of the same k; when it
    breaks a contract and ``search`` is set (rule "combined", no fixed k), the other k whose
    scan fit met the contracts are tried in decreasing Calinski-Harabasz order. Status is
    ``"fitted"`` when the kept model meets the contracts, else ``"fallback"``.
    """
    model = fit_kmeans(X, k, seed=seed, n_init=n_init)
    if _model_meets(model, min_cluster_share, max_cluster_share):
        if reason.startswith("fallback:"):
            reason = f"k={k}: its final fit meets the contracts (the scan fit did not); {reason}"
        return k, reason, model, "fitted"
    if not search:
        return k, f"fallback: {reason}; {_shares_text(model)} break the segment contracts", model, "fallback"
    scan_ok = k_table[meets_contracts(k_table, min_cluster_share, max_cluster_share)]
    for alt in scan_ok.sort_values("calinski_harabasz", ascending=False)["k"].astype(int):
        if alt == k:
            continue
        alt_model = fit_kmeans(X, alt, seed=seed, n_init=n_init)
        if _model_meets(alt_model, min_cluster_share, max_cluster_share):
            why = f"k={alt}: the final fit of k={k} broke a contract ({_shares_text(model)}); {reason}"
            return alt, why, alt_model, "fitted"
    if not reason.startswith("fallback:"):
        shares = _shares_text(model)
        reason = f"fallback: the final fit at k={k} breaks the segment contracts ({shares}); {reason}"
    return k, reason, model, "fallback"


def _shares_text(model: KMeansModel) -> str:
    total = max(int(model.sizes.sum()), 1)
    return f"largest cluster {model.sizes.max() / total:.0%}, smallest {model.sizes.min() / total:.0%}"


def _model_meets(model: KMeansModel, min_cluster_share: float, max_cluster_share: float | None) -> bool:
    """Whether a fitted model's cluster shares meet the segment contracts."""
    shares = model.sizes / max(int(model.sizes.sum()), 1)
    ok = bool(shares.min() >= min_cluster_share)
    return ok and (max_cluster_share is None or bool(shares.max() <= max_cluster_share))
