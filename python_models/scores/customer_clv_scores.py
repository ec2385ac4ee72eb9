"""P(alive), expected purchases, expected order value and CLV per buyer, from the parameters
`clv_fit` stored (audience.clv_job): the fit runs once per build, in `clv_fit`."""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.clv_job import ClvConfig, score_from_fit
    from audience.dbt_frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClvConfig(**json.loads(dbt.config.get("clv_settings")))
    return score_from_fit(to_pandas(dbt.ref("int_clv_summary")), to_pandas(dbt.ref("clv_fit")), config)
