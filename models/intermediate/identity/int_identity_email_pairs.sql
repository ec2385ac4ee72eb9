{#- Every distinct (customer_id, email) pair of the clean email events, with the first time it
    was seen: the email links and identifiers of int_identity_edges. A table rebuilt on every
    run (one aggregate over the email events). -#}
{{ config(materialized='table') }}

with

email_events as (
    select * from {{ ref('int_email_events_deduplicated') }}
),

final as (
    select
        customer_id,
        email,
        min(event_at) as first_event_at
    from email_events
    group by customer_id, email
)

select * from final
