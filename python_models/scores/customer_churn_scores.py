"""Churn probability of every current buyer from the selected model (audience.churn_job)."""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.churn_job import ChurnConfig, score_customers


def model(dbt, session):
    dbt.config(materialized="table")
    config = ChurnConfig(**json.loads(dbt.config.get("churn_settings")))
    return score_customers(dbt.ref("int_churn_examples").df(), config)
