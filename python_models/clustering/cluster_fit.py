"""K-Means segmentation fitted on a sample of customer_profiles (logic in audience.cluster_job).

Incremental: the table is the registry of every fitted version. Each run reads what is stored
(`dbt.this`, through audience.dbt_frames.read_table on any engine), and
audience.cluster_job.fit_or_reuse returns the rows to add: a new version whose cluster ids
are matched to the previous one, or nothing when `cluster_refit` is false. The SQL
models cluster_model_history, cluster_model, cluster_k_selection, cluster_hierarchy,
cluster_validation, cluster_id_matches and cluster_drift read their part of it.
"""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.cluster_job import ClusterConfig, fit_or_reuse
    from audience.dbt_frames import read_table, to_pandas


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="model_version", incremental_strategy="delete+insert")
    settings = json.loads(dbt.config.get("cluster_settings"))
    config = ClusterConfig(**settings)
    history = read_table(session, dbt.this) if dbt.is_incremental else None
    sample = to_pandas(dbt.ref("int_cluster_sample"))
    return fit_or_reuse(sample, config, history)
