{#- Every distinct (anonymous_id, customer_id) pair of the clean web events, with the first day
    it was seen: the web links and identifiers of int_identity_edges. A table rebuilt on every
    run from int_web_sessions_daily (one aggregate over the day-level rollup). -#}
{{ config(materialized='table') }}

with

sessions as (
    select * from {{ ref('int_web_sessions_daily') }}
),

final as (
    select
        anonymous_id,
        customer_id,
        min(event_date) as first_event_date
    from sessions
    group by anonymous_id, customer_id
)

select * from final
