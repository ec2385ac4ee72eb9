{#- Clean web/app events, one row per event_id; the latest landed version wins
    (macro latest_version_ctes: only repeated event_ids are ranked).
    Incremental (macros/standardize/latest_version.sql, docs/architecture.md, "Incremental models"): the pre-hook finds the event_ids whose winner can have changed since the last
    run and deletes their rows; only those keys are re-ranked and appended.
    `web_events` is read three times and is not materialized (macro cte_hint): a copy of every
    clean event does not fit in memory_limit at 1M customers and spills. The email and order
    deduplications keep DuckDB's materialized CTE, which fits (their validated views join the
    customers, which a per-use read would repeat). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ latest_version_prepare(ref('int_web_events_validated'), 'event_id', log_dates=true) }}",
    post_hook="{{ latest_version_finish('event_id', log_dates=true) }}",
) }}

with

web_events as {{ cte_hint(materialized=false) }}(
    {{ latest_version_source(ref('int_web_events_validated')) }}
),

{{ latest_version_ctes('web_events', 'event_id', [
    'event_id', 'anonymous_id', 'customer_id', 'session_id', 'product_id', 'event_type',
    'platform', 'page_url', 'category', 'event_at', '_source_file', '_source_row', '_loaded_at'
]) }},

final as (
    select
        event_id,
        anonymous_id,
        customer_id,
        session_id,
        product_id,
        event_type,
        platform,
        page_url,
        category,
        event_at,
        _source_file,
        _source_row,
        _loaded_at
    from latest_versions
)

select * from final
