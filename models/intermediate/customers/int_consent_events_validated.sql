{#-
    Every staged consent event with its final dq_reason: staging's own reason, else
      future_timestamp  event_at later than the build's clock + future_tolerance_days
                        (rows after the as-of date but not after the clock stay clean)
      unknown_customer  customer_id absent from the customers source (only when it has rows)
-#}
{#- a table: the quarantine, the duplicates report, the audit and deduplication all read it -#}
{{ config(materialized='table') }}

with

consent_events as (
    select * from {{ ref('stg_crm__consent_events') }}
),

{{ known_customer_ctes() }},

checked as (
    select
        consent_events.*,
        case
            when consent_events.dq_reason is not null then consent_events.dq_reason
            when consent_events.event_at >= {{ future_cutoff() }} then 'future_timestamp'
            when crm_presence.has_customers and known_customers.customer_id is null then 'unknown_customer'
        end as final_dq_reason
    from consent_events
    cross join crm_presence
    left join known_customers
        on consent_events.customer_id = known_customers.customer_id
),

final as (
    select
        consent_event_id,
        customer_id,
        channel,
        is_granted,
        consent_source,
        event_at,
        final_dq_reason as dq_reason,
        _source_file,
        _source_row
    from checked
)

select * from final
