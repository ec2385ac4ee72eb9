"""Named, described personas for the K-Means segments (audience.persona_job)."""

import json

from audience.persona_job import build_segment_personas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = json.loads(dbt.config.get("persona_settings"))
    clustered = dbt.ref("int_persona_inputs").df()
    return build_segment_personas(clustered, settings["features"], settings["currency_symbol"])
