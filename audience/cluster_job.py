"""The clustering job behind the dbt Python model `cluster_fit`.

Fits the segmentation on a sample of the profile (see :mod:`audience.clustering`) and returns
every result as one long artifact frame (:mod:`audience.artifacts`). Scoring of every person
happens in SQL (`customer_clusters`) from the `centroid` and `transform` artifacts.

`cluster_fit` is incremental: it keeps every fitted version (the registry). A new fit is matched
to the latest stored one (:mod:`audience.cluster_ids`) so clusters keep their ids, and with
``refit=False`` nothing is fitted at all while a stored version exists: the SQL models score
everybody from it. Extra artifacts per version: ``centroid_original`` (centroids in original
units), ``feature_bins`` (fit-time feature distribution, for drift), ``matching`` (how each id
relates to the previous version, ARI and share of people whose id changed) and the run rows
``fit_sequence`` (order of the fits; the highest is current) and ``fit_mean_squared_distance``.

Every version also records which configured features carried information in the fitting
sample (``feature_selection``, :mod:`audience.feature_information`: only those are fitted) and
its ``fit_status``: ``fitted`` (the cluster shares meet the segment contracts), ``fallback`` (no
k in range could; the k with the smallest largest cluster, see
:func:`audience.clustering.choose_k`) or ``not_fitted`` (too few people, distinct profiles or
informative features; no centroids, nobody is clustered), with ``status_reason`` in words. Only
a ``fitted`` version is the reference a later refit is matched against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from audience import artifacts, cluster_ids, clustering
from audience.cluster_inputs import (
    feature_rows,
    selected_features,
    unfit_reason,
)

MODEL_NAME = "kmeans_segments"


@dataclass(frozen=True)
class ClusterConfig:
    """Settings from the dbt vars `cluster_*` (see dbt_project.yml)."""

    features: Sequence[str]
    log_features: Sequence[str] = ()
    k_min: int = 2
    k_max: int = 8
    fixed_k: int | None = None
    seed: int = 42
    sample_size: int = 50000
    rule: str = "combined"
    min_cluster_share: float = 0.01
    max_cluster_share: float | None = None  # var segment_max_cluster_share: the k rule honours it
    validate: bool = True
    thresholds: dict = field(default_factory=dict)
    refit: bool | str = True  # True, False or "auto" (refit only when the drift figures say so)
    match_max_distance: float = cluster_ids.DEFAULT_MAX_DISTANCE
    drift_max_psi: float = 0.2
    drift_max_distance_ratio: float = 1.25


#: Settings that do not change what is fitted (left out of the version hash).
_NOT_FIT_SETTINGS = ("refit", "match_max_distance", "drift_max_psi", "drift_max_distance_ratio")


def _fit_settings(config: ClusterConfig) -> dict:
    return {k: v for k, v in asdict(config).items() if k not in _NOT_FIT_SETTINGS}


def _empty() -> pd.DataFrame:
    return artifacts.artifact_frame(MODEL_NAME, "", "run", pd.DataFrame()).iloc[0:0]


def version_sequences(history: pd.DataFrame) -> dict[str, float]:
    rows = history[(history["artifact"] == "run") & (history["metric"] == "fit_sequence")]
    return dict(zip(rows["model_version"], rows["value"].astype(float), strict=True))


def stored_model(history: pd.DataFrame, version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(transform, centroids) of a stored version, in the shapes of audience.clustering."""
    part = history[history["model_version"] == version]
    t = part[part["artifact"] == "transform"]
    transform = t.pivot_table(index=["feature", "position"], columns="metric", values="value").reset_index()
    transform["use_log1p"] = transform["use_log1p"] == 1
    transform["position"] = transform["position"].astype("int64")
    c = part[part["artifact"] == "centroid"]
    centroids = pd.DataFrame(
        {"cluster_id": c["cluster_id"].astype("int64"), "feature": c["feature"], "centroid_z": c["value"]}
    )
    return transform.sort_values("position").reset_index(drop=True), centroids


def _run_metric(history: pd.DataFrame, version: str, metric: str) -> str | None:
    rows = history[
        (history["model_version"] == version) & (history["artifact"] == "run") & (history["metric"] == metric)
    ]
    return str(rows["text_value"].iloc[0]) if len(rows) and pd.notna(rows["text_value"].iloc[0]) else None


def fit_status(history: pd.DataFrame, version: str) -> str:
    """``fitted``, ``fallback`` or ``not_fitted`` (a version stored without a status is ``fitted``)."""
    return _run_metric(history, version, "fit_status") or "fitted"


def _has_model(history: pd.DataFrame, version: str) -> bool:
    part = history[(history["model_version"] == version) & (history["artifact"] == "centroid")]
    return len(part) > 0


def fit_or_reuse(profile: pd.DataFrame, config: ClusterConfig, history: pd.DataFrame | None) -> pd.DataFrame:
    """The rows `cluster_fit` adds to its registry this run (see the module docstring).

    `history` is the registry as stored (all versions), or None on the first build. With
    ``refit=False`` and a stored model, nothing is added, after checking that the stored
    model's features are all configured (scoring would otherwise be wrong). With
    ``refit="auto"`` the stored model is refitted only when :func:`drift_figures` on the
    current sample exceed ``drift_max_psi`` / ``drift_max_distance_ratio`` (the same figures
    and thresholds as the SQL model `cluster_drift`) or the informative features changed. A
    current version that was not fitted holds no model to reuse: the data is fitted again.
    """
    if config.refit not in (True, False, "auto"):
        raise ValueError(f"cluster_refit must be true, false or auto, not {config.refit!r}")
    history = history if history is not None and len(history) else None
    if history is None or config.refit is True:
        return fit_cluster_artifacts(profile, config, history)
    sequences = version_sequences(history)
    current = max(sequences, key=sequences.get)
    if not _has_model(history, current):
        return fit_cluster_artifacts(profile, config, history)
    transform, _ = stored_model(history, current)
    stored = list(transform["feature"])
    if config.refit == "auto":
        same_features = stored == selected_features(profile, config)[0]
        if same_features and not refit_due(drift_figures(profile, history, current), config):
            return _empty()
        return fit_cluster_artifacts(profile, config, history)
    if not set(stored) <= set(config.features):
        raise ValueError(
            f"cluster_refit is false but the stored model {current} uses features "
            f"{stored}, not all in cluster_features {list(config.features)}: "
            "refit once (cluster_refit: true) after changing the features"
        )
    return _empty()


def drift_figures(profile: pd.DataFrame, history: pd.DataFrame, version: str) -> dict[str, float]:
    """Drift of `profile` against stored `version`: ``psi:<feature>`` and ``mean_squared_distance_ratio``.

    The Python twin of the SQL model `cluster_drift` (same bins, same floor), evaluated on the
    rows given (the fitting sample, i.e. every eligible person up to cluster_sample_size).
    """
    part = history[history["model_version"] == version]
    transform, centroids = stored_model(history, version)
    wide = centroids.pivot(index="cluster_id", columns="feature", values="centroid_z")
    _, dist = clustering.nearest(
        clustering.apply_transform(profile, transform), wide[list(transform["feature"])].to_numpy(float)
    )
    run = part[(part["artifact"] == "run") & (part["metric"] == "fit_mean_squared_distance")]
    figures = {"mean_squared_distance_ratio": float(dist.mean() / float(run["value"].iloc[0]))}
    bins = part[part["artifact"] == "feature_bins"].pivot_table(
        index=["feature", "position"], columns="metric", values="value", dropna=False
    )
    for row in transform.itertuples(index=False):
        b = bins.loc[str(row.feature)].sort_index()
        b = b[b["fit_share"].notna()]  # the pivot is a full product of features and bins
        edges = b["upper_edge"].to_numpy(float)[:-1]
        raw = clustering.numeric_column(profile, str(row.feature))
        values = np.where(np.isnan(raw), float(row.median_fill), raw)
        counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(b))
        current = counts / max(len(values), 1)
        figures[f"psi:{row.feature}"] = cluster_ids.population_stability_index(b["fit_share"], current)
    return figures


def refit_due(figures: dict[str, float], config: ClusterConfig) -> bool:
    """Whether any drift figure is above its threshold."""
    psi = max((v for k, v in figures.items() if k.startswith("psi:")), default=0.0)
    return (
        psi > config.drift_max_psi or figures["mean_squared_distance_ratio"] > config.drift_max_distance_ratio
    )


def _stored_again(history: pd.DataFrame, version: str, sequences: dict[str, float]) -> pd.DataFrame:
    """A version that is already stored, returned as stored and made current again if needed."""
    stored = history[history["model_version"] == version].copy()
    if sequences[version] < max(sequences.values()):
        is_seq = (stored["artifact"] == "run") & (stored["metric"] == "fit_sequence")
        stored.loc[is_seq, "value"] = max(sequences.values()) + 1
    return stored.reset_index(drop=True)


def _not_fitted(
    profile: pd.DataFrame,
    config: ClusterConfig,
    info: pd.DataFrame,
    reason: str,
    history: pd.DataFrame | None,
) -> pd.DataFrame:
    """A registry version without a model: feature verdicts and run rows saying why."""
    version = artifacts.model_version(
        MODEL_NAME, _fit_settings(config), "not_fitted", reason, info, len(profile)
    )
    sequences = version_sequences(history) if history is not None else {}
    if version in sequences:
        return _stored_again(history, version, sequences)
    run = artifacts.run_record(
        asdict(config), {"fit_status": "not_fitted", "reason": reason, "n_fit_rows": len(profile)}
    )
    extra = pd.DataFrame(
        [
            {"metric": "fit_status", "text_value": "not_fitted"},
            {"metric": "status_reason", "text_value": f"not fitted: {reason}"},
            {"metric": "fit_sequence", "value": max(sequences.values(), default=0.0) + 1},
        ]
    )
    parts = [
        artifacts.artifact_frame(MODEL_NAME, version, "feature_selection", feature_rows(info)),
        artifacts.artifact_frame(MODEL_NAME, version, "run", pd.concat([run, extra], ignore_index=True)),
    ]
    return pd.concat(parts, ignore_index=True)


def fit_cluster_artifacts(
    profile: pd.DataFrame, config: ClusterConfig, history: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Fit on `profile` (already sampled, one row per person_id) and return the artifact frame.

    Only the informative features (:func:`selected_features`) are fitted. Data that cannot be
    clustered (:func:`unfit_reason`) gives a ``not_fitted`` version instead of an error. With a
    `history` (stored versions), cluster ids are matched to the latest ``fitted`` version; a
    version that is already stored is returned as stored (made current again if needed).
    """
    used, info = selected_features(profile, config)
    reason, k_high = unfit_reason(profile, used, config)
    if reason is not None:
        return _not_fitted(profile, config, info, reason, history)
    profile = profile.sort_values("person_id").reset_index(drop=True)
    result = clustering.segment(
        profile,
        used,
        [f for f in config.log_features if f in used],
        k_min=config.k_min,
        k_max=k_high,
        seed=config.seed,
        rule=config.rule,
        fixed_k=config.fixed_k,
        min_cluster_share=config.min_cluster_share,
        max_cluster_share=config.max_cluster_share,
        validate=config.validate,
    )
    version = artifacts.model_version(
        MODEL_NAME, _fit_settings(config), result.params, result.centroids, len(profile)
    )
    sequences = version_sequences(history) if history is not None else {}
    if version in sequences:  # the same fit again: keep its ids, make it current
        return _stored_again(history, version, sequences)
    notes = []
    if k_high < config.k_max and config.fixed_k is None:
        notes.append(f"k range capped at {k_high} by {len(profile)} people")
    left_out = info.loc[~info["is_informative"], "feature"].tolist()
    if left_out:
        notes.append(f"features left out as uninformative: {', '.join(left_out)}")
    status_reason = result.reason + "".join(f"; {n}" for n in notes)
    return _fitted_frames(profile, config, result, info, version, status_reason, history, sequences)


def _fitted_frames(
    profile: pd.DataFrame,
    config: ClusterConfig,
    result: clustering.SegmentationResult,
    info: pd.DataFrame,
    version: str,
    status_reason: str,
    history: pd.DataFrame | None,
    sequences: dict[str, float],
) -> pd.DataFrame:
    """Every artifact of a fitted version, with ids matched to the reference version."""
    X = clustering.apply_transform(profile, result.params)
    stable, matching = _match(result, X, profile, history, sequences, config)

    def frame(name: str, rows: pd.DataFrame) -> pd.DataFrame:
        return artifacts.artifact_frame(MODEL_NAME, version, name, rows)

    params = result.params.rename(columns={"use_log1p": "use_log1p_flag"})
    params["use_log1p_flag"] = params["use_log1p_flag"].astype(float)
    transform = artifacts.long_metrics(
        params, ["feature", "position"], ["use_log1p_flag", "mean", "std", "median_fill"]
    )
    transform["metric"] = transform["metric"].replace({"use_log1p_flag": "use_log1p"})

    k_table = result.k_table.copy()
    knee = clustering.knee_k(k_table["k"], k_table["wcss"])
    k_table["is_knee"] = (k_table["k"] == knee).astype(float)
    k_table["chosen"] = k_table["chosen"].astype(float)
    k_table["meets_contracts"] = clustering.meets_contracts(
        k_table, config.min_cluster_share, config.max_cluster_share
    ).astype(float)
    k_long = artifacts.long_metrics(
        k_table,
        ["k"],
        [
            "wcss",
            "silhouette",
            "calinski_harabasz",
            "davies_bouldin",
            "min_cluster_share",
            "max_cluster_share",
            "meets_contracts",
            "is_knee",
            "chosen",
        ],
    )

    def relabel(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out["cluster_id"] = out["cluster_id"].map(lambda c: stable[int(c)] if pd.notna(c) else c)
        return out

    centroids = relabel(result.centroids.rename(columns={"centroid_z": "value"}))
    original = cluster_ids.original_centroids(result.params, relabel(result.centroids))
    original = original.rename(columns={"centroid_original": "value"})
    bins = cluster_ids.feature_bins(profile, result.params)
    bins_long = artifacts.long_metrics(bins, ["feature", "position"], ["upper_edge", "fit_share"])
    hierarchy = relabel(result.hierarchy.rename(columns={"parent_size": "value"}))
    validation = (
        relabel(result.validation.rename(columns={"status": "text_value"}))
        if result.validation is not None
        else pd.DataFrame()
    )
    run = _run_rows(profile, config, result, matching, status_reason, sequences)

    parts = [
        frame("transform", transform),
        frame("centroid", centroids),
        frame("centroid_original", original),
        frame("feature_bins", bins_long),
        frame("feature_selection", feature_rows(info)),
        frame("matching", matching),
        frame("k_selection", k_long),
        frame("hierarchy", hierarchy),
        frame("validation", validation),
        frame("run", run),
    ]
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def _run_rows(
    profile: pd.DataFrame,
    config: ClusterConfig,
    result: clustering.SegmentationResult,
    matching: pd.DataFrame,
    status_reason: str,
    sequences: dict[str, float],
) -> pd.DataFrame:
    """The run record of a fitted version: parameters, headline metrics, status and order."""
    headline = {
        "k": result.k,
        "k_reason": result.reason,
        "fit_status": result.status,
        "features_used": list(result.params["feature"]),
        "n_fit_rows": len(profile),
        "timings_s": result.timings,
    }
    if result.validation is not None:
        overall = result.validation[result.validation["cluster_id"].isna()]
        headline.update({r.metric: r.value for r in overall.itertuples()})
    headline["cluster_ids"] = dict(matching.attrs)
    run = artifacts.run_record(asdict(config), headline)
    extra = pd.DataFrame(
        [
            {"metric": "k_reason", "text_value": result.reason},
            {"metric": "fit_status", "text_value": result.status},
            {"metric": "status_reason", "text_value": status_reason},
            {"metric": "fit_sequence", "value": max(sequences.values(), default=0.0) + 1},
            {"metric": "fit_mean_squared_distance", "value": result.model.inertia / len(profile)},
        ]
    )
    run = pd.concat([run, extra], ignore_index=True)
    run["k"] = result.k
    return run


def _match(
    result: clustering.SegmentationResult,
    X: np.ndarray,
    profile: pd.DataFrame,
    history: pd.DataFrame | None,
    sequences: dict[str, float],
    config: ClusterConfig,
) -> tuple[dict[int, int], pd.DataFrame]:
    """Stable ids for the new fit and the `matching` artifact rows (long: cluster_id, metric, value).

    The frame's ``attrs`` carry the headline figures (previous version, ARI, share changed,
    counts of matched / new / vanished clusters) for the run record.
    """
    new_z = result.model.centroids
    previous = _reference_version(history, sequences)
    prev_ids = prev_z = None
    next_id = 1
    agreement = {"ari": np.nan, "share_changed": np.nan}
    prev_labels = None
    if previous is not None:
        used = history.loc[history["artifact"] == "centroid", "cluster_id"].dropna()
        next_id = int(used.max()) + 1 if len(used) else 1
        p_transform, p_centroids = stored_model(history, previous)
        try:
            original = cluster_ids.original_centroids(p_transform, p_centroids)
            prev_ids, prev_z = cluster_ids.standardize_original(original, result.params)
        except ValueError:  # other features: nothing can be the same group
            prev_ids = prev_z = None
        if prev_ids is not None:
            wide = p_centroids.pivot(index="cluster_id", columns="feature", values="centroid_z")
            own_ids = wide.index.to_numpy(np.int64)
            own_z = wide[list(p_transform["feature"])].to_numpy(float)
            X_prev = clustering.apply_transform(profile, p_transform)
            prev_labels = own_ids[clustering.assign(X_prev, own_z) - 1]
    match = cluster_ids.match_clusters(new_z, prev_ids, prev_z, next_id, config.match_max_distance)
    stable = match.stable_id
    new_labels = np.array([stable[int(c)] for c in result.model.labels])
    if prev_labels is not None:
        agreement = cluster_ids.label_agreement(prev_labels, new_labels)
    table = match.table
    rows = []
    for r in table.itertuples(index=False):
        jac = (
            cluster_ids.member_jaccard(prev_labels, new_labels, int(r.cluster_id))
            if prev_labels is not None
            else np.nan
        )
        rows.append({"cluster_id": r.cluster_id, "metric": "status", "text_value": r.status})
        rows.append({"cluster_id": r.cluster_id, "metric": "fit_cluster_id", "value": r.fit_cluster_id})
        rows.append({"cluster_id": r.cluster_id, "metric": "centroid_distance", "value": r.centroid_distance})
        rows.append({"cluster_id": r.cluster_id, "metric": "member_jaccard", "value": jac})
    rows.append({"metric": "previous_model_version", "text_value": previous})
    rows.append({"metric": "ari_vs_previous", "value": agreement["ari"]})
    rows.append({"metric": "share_changed_vs_previous", "value": agreement["share_changed"]})
    frame = pd.DataFrame(rows)
    frame["value"] = pd.to_numeric(frame.get("value"), errors="coerce")
    counts = table["status"].value_counts()
    frame.attrs = {
        "previous_model_version": previous,
        "ari_vs_previous": _finite_or_none(agreement["ari"]),
        "share_changed_vs_previous": _finite_or_none(agreement["share_changed"]),
        "matched": int(counts.get("matched", 0)),
        "new": int(counts.get("new", 0)) if previous is not None else 0,
        "vanished": int(counts.get("vanished", 0)),
    }
    return stable, frame


def _reference_version(history: pd.DataFrame | None, sequences: dict[str, float]) -> str | None:
    """The version a refit is matched against: the latest ``fitted`` one (a fallback or a version
    that was not fitted is never the reference), or None."""
    if history is None:
        return None
    fitted = [v for v in sequences if fit_status(history, v) == "fitted" and _has_model(history, v)]
    return max(fitted, key=sequences.get) if fitted else None


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN: undefined figures go into the run record as null."""
    return float(value) if np.isfinite(value) else None
