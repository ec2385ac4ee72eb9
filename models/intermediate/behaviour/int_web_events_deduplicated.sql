{#- Clean web/app events, one row per event_id; the latest landed version wins
    (macro latest_version_ctes: only repeated event_ids are ranked, issue 7). -#}
{{ config(materialized='table') }}

with

web_events as (
    select * from {{ ref('int_web_events_validated') }}
    where dq_reason is null
),

{{ latest_version_ctes('web_events', 'event_id', [
    'event_id', 'anonymous_id', 'customer_id', 'session_id', 'product_id', 'event_type',
    'platform', 'page_url', 'category', 'event_at', '_source_file', '_source_row'
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
        _source_row
    from latest_versions
)

select * from final
