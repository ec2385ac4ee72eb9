"""Named, described personas for the K-Means segments (audience.persona_job).

Reads its own table from the previous build (`dbt.this`, before it is replaced) so that a
cluster id named before keeps its persona name. Speaks only of the features the current model
uses (cluster_feature_selection) and prints money in the orders' currency (int_order_currencies).
"""

import json

import audience

with audience.import_lock:  # one model imports at a time (audience/__init__.py)
    from audience.dbt_frames import previous_table, to_pandas
    from audience.persona_job import build_segment_personas, currency_codes


def model(dbt, session):
    dbt.config(materialized="table")
    settings = json.loads(dbt.config.get("persona_settings"))
    clustered = to_pandas(dbt.ref("int_persona_inputs"))
    selection = to_pandas(dbt.ref("cluster_feature_selection"))
    used = selection.loc[selection["is_used"].fillna(False).astype(bool), "feature"].tolist()
    currencies = currency_codes(to_pandas(dbt.ref("int_order_currencies")))
    previous = previous_table(session, dbt.this)
    return build_segment_personas(clustered, settings["features"], currencies, previous, used)
