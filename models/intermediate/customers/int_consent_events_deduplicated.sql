{#- Clean consent events, one row per consent_event_id; the latest landed version wins. -#}
{{ config(materialized='table') }}

with

consent_events as (
    select * from {{ ref('int_consent_events_validated') }}
    where dq_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by consent_event_id
            order by {{ latest_landed_order() }}
        ) as version_rank
    from consent_events
),

final as (
    select
        consent_event_id,
        customer_id,
        channel,
        is_granted,
        consent_source,
        event_at,
        _source_file,
        _source_row
    from ranked
    where version_rank = 1
)

select * from final
