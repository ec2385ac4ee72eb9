{#-
    Behaviour and purchase rollups of every person as of the build's as-of date: the rows of
    int_activity_features at as_of_date(). The churn examples read the same model at earlier
    cut-offs, so training features and scoring features are computed by one piece of SQL.
-#}
{{ config(materialized='table') }}

with

features as (
    select * from {{ ref('int_activity_features') }}
),

final as (
    select * from features
    where as_of_date = {{ as_of_date() }}
)

select * from final
