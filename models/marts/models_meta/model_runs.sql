{{
    config(
        materialized=incremental_materialization(),
        unique_key=['model_name', 'model_version'],
        incremental_strategy='delete+insert',
    )
}}
{#-
    One row per fitted model version: which run produced which labels and scores. Incremental:
    a rebuild with the same data and settings reproduces the same version, keeping its first
    trained_at; a new version adds a row, so the history of runs stays.
-#}
with

fits as (
    {% for fit in ['cluster_fit', 'clv_fit', 'churn_fit'] %}
    select
        model_name,
        model_version,
        metric,
        text_value
    from {{ ref(fit) }}
    where artifact = 'run'
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

runs as (
    select
        model_name,
        model_version,
        max(case when metric = 'parameters' then text_value end) as parameters,
        max(case when metric = 'metrics' then text_value end) as metrics
    from fits
    group by model_name, model_version
),

final as (
    select
        runs.model_name,
        runs.model_version,
        {{ dbt.current_timestamp() }} as trained_at,
        {{ as_of_date() }} as as_of_date,
        runs.parameters,
        runs.metrics
    from runs
    {% if is_incremental() %}
    where not exists (
        select 1
        from {{ this }} as existing
        where existing.model_name = runs.model_name
          and existing.model_version = runs.model_version
    )
    {% endif %}
)

select * from final
