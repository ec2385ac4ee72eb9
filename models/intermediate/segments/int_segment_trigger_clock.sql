{#-
    One row: the data clock trigger segments are evaluated at, `clock_at` = the latest clean web
    event or order known by the as-of date (events later than the end of the as-of day do not
    count). Using the data's own clock instead of the wall clock keeps a build on the same data
    deterministic and lets a backfill replay the triggers as they were. With no clean event or
    order at all (an empty export) the clock is the end of the as-of day: no trigger can fire.
-#}
with

web_events as (
    select * from {{ ref('int_web_events_deduplicated') }}
),

orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

moments as (
    select event_at as happened_at from web_events
    union all
    select ordered_at as happened_at from orders
),

final as (
    select
        coalesce(max(happened_at), {{ as_of_timestamp() }}) as clock_at,
        {{ as_of_date() }} as as_of_date
    from moments
    where happened_at < {{ as_of_timestamp() }}
)

select * from final
