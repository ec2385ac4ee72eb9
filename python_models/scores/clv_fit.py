"""BG/NBD + Gamma-Gamma fit: parameters, diagnostics and the holdout check (audience.clv_job)."""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.clv_job import ClvConfig, fit_clv_artifacts
    from audience.dbt_frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClvConfig(**json.loads(dbt.config.get("clv_settings")))
    summary = to_pandas(dbt.ref("int_clv_summary"))
    calibration = to_pandas(dbt.ref("int_clv_calibration"))
    return fit_clv_artifacts(summary, calibration, config)
