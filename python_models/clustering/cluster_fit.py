"""K-Means segmentation fitted on a sample of customer_profiles (logic in audience.cluster_job).

Returns a long artifact table; the SQL models cluster_model, cluster_k_selection,
cluster_hierarchy, cluster_validation and customer_clusters read their part of it.
"""

import json

from audience.cluster_job import ClusterConfig, fit_cluster_artifacts


def model(dbt, session):
    dbt.config(materialized="table")
    settings = json.loads(dbt.config.get("cluster_settings"))
    config = ClusterConfig(**settings)
    sample = dbt.ref("int_cluster_sample").df()
    return fit_cluster_artifacts(sample, config)
