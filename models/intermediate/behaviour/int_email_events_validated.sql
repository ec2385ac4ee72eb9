{#-
    Every staged email event with its final dq_reason: staging's own reason, else
      future_timestamp  event_at later than the build's clock + future_tolerance_days
                        (rows after the as-of date but not after the clock stay clean)
      unknown_customer  customer_id set but absent from the customers source (only when it has rows)
-#}
{#- A view, like int_web_events_validated;
    the known-customer check is a hash join on 100k customer ids, cheap to repeat per reader. -#}
{{ config(materialized='view') }}

with

email_events as (
    select * from {{ ref('stg_email__events') }}
),

{{ known_customer_ctes() }},

checked as (
    select
        email_events.*,
        case
            when email_events.dq_reason is not null then email_events.dq_reason
            when email_events.event_at >= {{ future_cutoff() }} then 'future_timestamp'
            when crm_presence.has_customers
                and email_events.customer_id is not null
                and known_customers.customer_id is null then 'unknown_customer'
        end as final_dq_reason
    from email_events
    cross join crm_presence
    left join known_customers
        on email_events.customer_id = known_customers.customer_id
),

final as (
    select
        email_event_id,
        customer_id,
        campaign_id,
        email,
        event_type,
        event_at,
        final_dq_reason as dq_reason,
        _source_file,
        _source_row,
        _loaded_at
    from checked
)

select * from final
