{#-
    Web/app behaviour of every person who visited, per as-of date (int_activity_as_of_dates).
    Read from int_web_sessions_daily (clean events rolled up per device, customer id, session and
    day, a few times fewer rows than the events), resolved to people on those rows: an event
    belongs to the person of its customer_id, else of its device, and both are keys of the
    rollup, so every row belongs to one person. Exact because every window bound is a midnight.
    Windowed counts go per (as-of date, person, session) first and then per person, so distinct
    sessions are a plain count (no count(distinct): its per-group sets cannot spill).
-#}
{{ config(materialized='table') }}

with

as_of_dates as (
    select * from {{ ref('int_activity_as_of_dates') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

web_days as (
    select * from {{ ref('int_web_sessions_daily') }}
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

web_session_days as (
    select
        coalesce(by_customer.person_id, by_device.person_id) as person_id,
        web_days.session_id,
        web_days.event_date,
        web_days.page_views,
        web_days.product_views,
        web_days.add_to_carts,
        web_days.purchases,
        web_days.last_event_at
    from web_days
    left join customer_people as by_customer
        on web_days.customer_id = by_customer.customer_id
    left join anonymous_people as by_device
        on web_days.anonymous_id = by_device.anonymous_id
    where web_days.event_date < (select max(cutoff_date) from as_of_dates)
        and coalesce(by_customer.person_id, by_device.person_id) is not null
),

{# only the 90 days before a cutoff feed the windowed counts -#}
window_sessions as (
    select
        as_of_dates.as_of_date,
        web_session_days.person_id,
        web_session_days.session_id,
        max(case when web_session_days.event_date >= as_of_dates.since_30d_date then 1 else 0 end) as in_30d,
        sum(
            case when web_session_days.event_date >= as_of_dates.since_30d_date then web_session_days.page_views else 0 end
        ) as page_views_30d,
        sum(web_session_days.page_views) as page_views_90d,
        sum(
            case when web_session_days.event_date >= as_of_dates.since_30d_date then web_session_days.product_views else 0 end
        ) as product_views_30d,
        sum(web_session_days.product_views) as product_views_90d,
        sum(web_session_days.add_to_carts) as add_to_carts_90d,
        max(case when web_session_days.add_to_carts > 0 then 1 else 0 end) as has_add_to_cart,
        max(case when web_session_days.purchases > 0 then 1 else 0 end) as has_purchase
    from web_session_days
    inner join as_of_dates
        on web_session_days.event_date >= as_of_dates.since_90d_date
        and web_session_days.event_date < as_of_dates.cutoff_date
    group by as_of_dates.as_of_date, web_session_days.person_id, web_session_days.session_id
),

{# a null session_id is one group here: its views count, it is not a session -#}
window_rollup as (
    select
        as_of_date,
        person_id,
        count(case when in_30d = 1 then session_id end) as sessions_30d,
        count(session_id) as sessions_90d,
        sum(page_views_30d) as page_views_30d,
        sum(page_views_90d) as page_views_90d,
        sum(product_views_30d) as product_views_30d,
        sum(product_views_90d) as product_views_90d,
        sum(add_to_carts_90d) as add_to_cart_90d,
        sum(
            case when session_id is not null and has_add_to_cart = 1 and has_purchase = 0 then 1 else 0 end
        ) as cart_abandonments_90d
    from window_sessions
    group by as_of_date, person_id
),

{# the last visit looks at all days before the cutoff -#}
visit_rollup as (
    select
        as_of_dates.as_of_date,
        web_session_days.person_id,
        max(web_session_days.last_event_at) as last_visit_at
    from web_session_days
    inner join as_of_dates
        on web_session_days.event_date < as_of_dates.cutoff_date
    group by as_of_dates.as_of_date, web_session_days.person_id
),

{# every person with a 90-day window row visited before the cutoff, so has a visit row -#}
final as (
    select
        visit_rollup.as_of_date,
        visit_rollup.person_id,
        coalesce(window_rollup.sessions_30d, 0) as sessions_30d,
        coalesce(window_rollup.sessions_90d, 0) as sessions_90d,
        coalesce(window_rollup.page_views_30d, 0) as page_views_30d,
        coalesce(window_rollup.page_views_90d, 0) as page_views_90d,
        coalesce(window_rollup.product_views_30d, 0) as product_views_30d,
        coalesce(window_rollup.product_views_90d, 0) as product_views_90d,
        coalesce(window_rollup.add_to_cart_90d, 0) as add_to_cart_90d,
        coalesce(window_rollup.cart_abandonments_90d, 0) as cart_abandonments_90d,
        visit_rollup.last_visit_at
    from visit_rollup
    left join window_rollup
        on visit_rollup.as_of_date = window_rollup.as_of_date
        and visit_rollup.person_id = window_rollup.person_id
)

select * from final
