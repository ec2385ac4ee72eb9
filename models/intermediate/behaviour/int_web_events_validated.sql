{#-
    Every staged web/app event with its final dq_reason: staging's own reason, else
      future_timestamp  event_at later than the build's clock + future_tolerance_days
                        (rows after the as-of date but not after the clock stay clean).
    Event types outside the tracking plan are kept as `other` (custom events are legitimate).
-#}
{#- A view. It is a projection with one
    comparison, so scanning it costs what scanning a table would, and a table had to be rebuilt
    over all history on every run because the cutoff moves with the as-of date. -#}
{{ config(materialized='view') }}

with

web_events as (
    select * from {{ ref('stg_web__events') }}
),

checked as (
    select
        *,
        case
            when dq_reason is not null then dq_reason
            when event_at >= {{ future_cutoff() }} then 'future_timestamp'
        end as final_dq_reason
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
        final_dq_reason as dq_reason,
        _source_file,
        _source_row,
        _loaded_at
    from checked
)

select * from final
