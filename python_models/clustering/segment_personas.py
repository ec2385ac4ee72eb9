"""Named, described personas for the K-Means segments (audience.persona_job).

Reads its own table from the previous build (`dbt.this`, before it is replaced) so that a
cluster id named before keeps its persona name.
"""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.persona_job import build_segment_personas, previous_table


def model(dbt, session):
    dbt.config(materialized="table")
    settings = json.loads(dbt.config.get("persona_settings"))
    clustered = dbt.ref("int_persona_inputs").df()
    previous = previous_table(session, dbt.this)
    return build_segment_personas(clustered, settings["features"], settings["currency_symbol"], previous)
