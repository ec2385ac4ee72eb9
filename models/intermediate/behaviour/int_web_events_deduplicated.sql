{#- Clean web/app events, one row per event_id; the latest landed version wins.
    Incremental (macros/standardize/latest_version.sql): only the event_ids whose winner can have
    changed are ranked and rewritten (delete+insert on event_id). On a full build `candidates`
    is read three times and is not materialized (macro cte_hint): a copy of every clean event
    does not fit in memory_limit at 1M customers and spills. -#}
{%- set columns = [
    'event_id', 'anonymous_id', 'customer_id', 'session_id', 'product_id', 'event_type',
    'platform', 'page_url', 'category', 'event_at', '_source_file', '_source_row', '_loaded_at'
] -%}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='append_new_columns',
    post_hook="{{ delete_removed_versions() }}",
) }}

with

{{ latest_version_candidates(ref('int_web_events_validated'), 'event_id', columns,
    hint=cte_hint(materialized=false)) }},

{{ latest_version_ctes('candidates', 'event_id', columns) }},

final as (
    select
        {{ columns | join(',\n        ') }},
        {{ written_at() }} as _written_at
    from latest_versions
    {{ removed_versions('event_id', columns) }}
)

select * from final
