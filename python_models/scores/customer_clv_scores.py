"""P(alive), expected purchases, expected order value and CLV per buyer (audience.clv_job)."""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.clv_job import ClvConfig, score_customers


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClvConfig(**json.loads(dbt.config.get("clv_settings")))
    scores, _ = score_customers(dbt.ref("int_clv_summary").df(), config)
    return scores
