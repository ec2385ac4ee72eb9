"""Churn model comparison on a time split: metrics and run record (audience.churn_job)."""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.churn_job import ChurnConfig, fit_churn_artifacts
    from audience.dbt_frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = ChurnConfig(**json.loads(dbt.config.get("churn_settings")))
    return fit_churn_artifacts(to_pandas(dbt.ref("int_churn_examples")), config)
