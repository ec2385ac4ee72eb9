"""P(alive), expected purchases, expected order value and CLV per buyer, from the parameters
`clv_fit` stored (audience.clv_job): the fit runs once per build, in `clv_fit`."""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.clv_job import ClvConfig, score_from_fit


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClvConfig(**json.loads(dbt.config.get("clv_settings")))
    return score_from_fit(dbt.ref("int_clv_summary").df(), dbt.ref("clv_fit").df(), config)
