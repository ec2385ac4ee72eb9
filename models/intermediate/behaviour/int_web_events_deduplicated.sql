{#- Clean web/app events, one row per event_id; the latest landed version wins. -#}
{{ config(materialized='table') }}

with

web_events as (
    select * from {{ ref('int_web_events_validated') }}
    where dq_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by event_id
            order by _source_file desc, _source_row desc
        ) as version_rank
    from web_events
),

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
    from ranked
    where version_rank = 1
)

select * from final
