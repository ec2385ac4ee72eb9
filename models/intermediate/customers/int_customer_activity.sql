{#-
    Behaviour and purchase rollups of every person as of the build's as-of date: the macro
    customer_activity_features (macros/features/) called with as_of_date(). The churn model
    calls the same macro with earlier cutoffs, so training features and scoring features are
    computed by one piece of SQL.
-#}
{{ config(materialized='table') }}

{{ customer_activity_features(as_of_date()) }}
