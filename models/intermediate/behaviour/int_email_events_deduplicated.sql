{#- Clean email events, one row per email_event_id; the latest landed version wins. -#}
{{ config(materialized='table') }}

with

email_events as (
    select * from {{ ref('int_email_events_validated') }}
    where dq_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by email_event_id
            order by _source_file desc, _source_row desc
        ) as version_rank
    from email_events
),

final as (
    select
        email_event_id,
        customer_id,
        campaign_id,
        email,
        event_type,
        event_at,
        _source_file,
        _source_row
    from ranked
    where version_rank = 1
)

select * from final
