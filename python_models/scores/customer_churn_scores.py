"""Churn probability of every current buyer from the model `churn_fit` selected, refitted on
both labelled cutoffs (audience.churn_job): the comparison runs once per build, in `churn_fit`."""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.churn_job import ChurnConfig, score_from_fit
    from audience.dbt_frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = ChurnConfig(**json.loads(dbt.config.get("churn_settings")))
    return score_from_fit(to_pandas(dbt.ref("int_churn_examples")), to_pandas(dbt.ref("churn_fit")), config)
