"""The clustering job behind the dbt Python model `cluster_fit`.

Fits the segmentation on a sample of the profile (see :mod:`audience.clustering`) and returns
every result as one long artifact frame (:mod:`audience.artifacts`). Scoring of every person
happens in SQL (`customer_clusters`) from the `centroid` and `transform` artifacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from audience import artifacts, clustering

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
    validate: bool = True
    thresholds: dict = field(default_factory=dict)


def fit_cluster_artifacts(profile: pd.DataFrame, config: ClusterConfig) -> pd.DataFrame:
    """Fit on `profile` (already sampled, one row per person_id) and return the artifact frame."""
    missing = [f for f in config.features if f not in profile.columns]
    if missing:
        raise ValueError(
            f"cluster_features names column(s) {missing} that customer_profiles does not have; "
            f"available: {sorted(profile.columns)}"
        )
    if len(profile) < max(config.k_max, 2) * 5:
        raise ValueError(
            f"only {len(profile)} eligible profiles: too few to cluster into up to {config.k_max} segments"
        )
    profile = profile.sort_values("person_id").reset_index(drop=True)
    result = clustering.segment(
        profile,
        list(config.features),
        [f for f in config.log_features if f in config.features],
        k_min=config.k_min,
        k_max=config.k_max,
        seed=config.seed,
        rule=config.rule,
        fixed_k=config.fixed_k,
        min_cluster_share=config.min_cluster_share,
        validate=config.validate,
    )
    version = artifacts.model_version(
        MODEL_NAME, asdict(config), result.params, result.centroids, len(profile)
    )

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
    k_long = artifacts.long_metrics(
        k_table,
        ["k"],
        [
            "wcss",
            "silhouette",
            "calinski_harabasz",
            "davies_bouldin",
            "min_cluster_share",
            "is_knee",
            "chosen",
        ],
    )

    centroids = result.centroids.rename(columns={"centroid_z": "value"})
    hierarchy = result.hierarchy.rename(columns={"parent_size": "value"})
    validation = (
        result.validation.rename(columns={"status": "text_value"})
        if result.validation is not None
        else pd.DataFrame()
    )
    headline = {
        "k": result.k,
        "k_reason": result.reason,
        "n_fit_rows": len(profile),
        "timings_s": result.timings,
    }
    if result.validation is not None:
        overall = result.validation[result.validation["cluster_id"].isna()]
        headline.update({r.metric: r.value for r in overall.itertuples()})
    run = artifacts.run_record(asdict(config), headline)
    run["k"] = result.k
    run.loc[len(run)] = {"metric": "k_reason", "text_value": result.reason, "k": result.k}

    parts = [
        frame("transform", transform),
        frame("centroid", centroids),
        frame("k_selection", k_long),
        frame("hierarchy", hierarchy),
        frame("validation", validation),
        frame("run", run),
    ]
    return pd.concat([p for p in parts if len(p)], ignore_index=True)
