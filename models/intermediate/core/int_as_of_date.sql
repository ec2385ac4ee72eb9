{#-
    One row: the as-of date of this build: the date of the latest order that parsed and is not
    later than the wall clock (plus `future_tolerance_days`), so a stray timestamp in 2099 cannot
    move it. Orders, the one required source, set the clock: event trackers drift more often.
    The var `as_of_date` overrides it.
-#}
with

orders as (
    select ordered_at as happened_at from {{ ref('stg_shop__orders') }} where dq_reason is null
),

latest as (
    select max(happened_at) as latest_at
    from orders
    where happened_at <= {{ dbt.dateadd('day', var('future_tolerance_days'), dbt.current_timestamp()) }}
),

final as (
    select
        {% if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date) as as_of_date,
        {%- else -%}
        coalesce(cast(latest_at as date), cast({{ dbt.current_timestamp() }} as date)) as as_of_date,
        {%- endif %}
        latest_at as latest_activity_at
    from latest
)

select * from final
