"""Named, described personas for the K-Means segments (audience.persona_job).

Reads its own table from the previous build (`dbt.this`, before it is replaced) so that a
cluster id named before keeps its persona name. Speaks only of the features the current model
uses (cluster_feature_selection) and prints money in the orders' currency (int_order_currencies).
"""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.persona_job import build_segment_personas, currency_codes, previous_table


def model(dbt, session):
    dbt.config(materialized="table")
    settings = json.loads(dbt.config.get("persona_settings"))
    clustered = dbt.ref("int_persona_inputs").df()
    selection = dbt.ref("cluster_feature_selection").df()
    used = selection.loc[selection["is_used"].fillna(False).astype(bool), "feature"].tolist()
    currencies = currency_codes(dbt.ref("int_order_currencies").df())
    previous = previous_table(session, dbt.this)
    return build_segment_personas(clustered, settings["features"], currencies, previous, used)
