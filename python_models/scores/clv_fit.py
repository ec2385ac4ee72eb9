"""BG/NBD + Gamma-Gamma fit: parameters, diagnostics and the holdout check (audience.clv_job)."""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.clv_job import ClvConfig, fit_clv_artifacts


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClvConfig(**json.loads(dbt.config.get("clv_settings")))
    summary = dbt.ref("int_clv_summary").df()
    calibration = dbt.ref("int_clv_calibration").df()
    return fit_clv_artifacts(summary, calibration, config)
