{#-
    Web activity of every person by session and day: int_web_sessions_daily attributed to the
    person of its customer_id, else of its device (as in customer_activity_features), and
    summed per person, session and day. Groups whose person is unknown are dropped (no person's
    features count them).

    issue 7 (docs/benchmarks.md): computed once; the activity features read it at every cutoff
    (int_customer_activity once, int_churn_examples three times) instead of re-joining every
    web event to the identity graph.
-#}
{{ config(materialized='table') }}

with

web_sessions as (
    select * from {{ ref('int_web_sessions_daily') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

customer_people as (
    select
        identifier as customer_id,
        person_id
    from identities
    where identifier_type = 'customer_id'
),

anonymous_people as (
    select
        identifier as anonymous_id,
        person_id
    from identities
    where identifier_type = 'anonymous_id'
),

attributed as (
    select
        coalesce(by_customer.person_id, by_device.person_id) as person_id,
        web_sessions.session_id,
        web_sessions.event_date,
        web_sessions.events,
        web_sessions.page_views,
        web_sessions.product_views,
        web_sessions.add_to_carts,
        web_sessions.purchases,
        web_sessions.last_event_at
    from web_sessions
    left join customer_people as by_customer
        on web_sessions.customer_id = by_customer.customer_id
    left join anonymous_people as by_device
        on web_sessions.anonymous_id = by_device.anonymous_id
),

final as (
    select
        person_id,
        session_id,
        event_date,
        sum(events) as events,
        sum(page_views) as page_views,
        sum(product_views) as product_views,
        sum(add_to_carts) as add_to_carts,
        sum(purchases) as purchases,
        max(last_event_at) as last_event_at
    from attributed
    where person_id is not null
    group by person_id, session_id, event_date
)

select * from final
