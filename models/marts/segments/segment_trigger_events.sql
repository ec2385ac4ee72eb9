{#-
    Trigger events, incremental: the web activity the trigger segments fire on, one row per
      abandoned_cart        session with add_to_cart events  (anchor: the last add_to_cart)
      browse_abandonment    session with product views       (anchor: the session's last event)
      high_value_browsing   identifier and day with product views (anchor: the last product view)
    at the level of the raw identifiers (customer_id, anonymous_id), never of person_id: which
    person an old event belongs to changes when identity stitching links a device later, so the
    person, the "no order since" check and the value test are applied downstream
    (trigger_segment_members, rebuilt on every run). That keeps this table a pure function of
    the events, so an incremental run gives exactly what --full-refresh gives.

    Incremental runs recompute every session and day that has an event at or after
    max(anchor_at) - var `trigger_lookback_hours` (late events land in their session), and
    replace those rows by trigger_event_id (delete+insert). Events older than the window that
    arrive late, or changes to as_of_date, need --full-refresh.
-#}
{{ config(
    materialized='incremental',
    unique_key='trigger_event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    tags=['realtime', 'segments'],
) }}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
{%- set lookback_hours = var('trigger_lookback_hours') | int -%}
with

web_events as (
    select * from {{ ref('int_web_events_deduplicated') }}
    where event_at < {{ as_of_timestamp() }}
),

{% if is_incremental() %}
recompute_window as (
    select
        coalesce(
            {{ dbt.dateadd('hour', -lookback_hours, 'max(anchor_at)') }},
            cast('1900-01-01' as {{ ts_type }})
        ) as window_start_at
    from {{ this }}
),

{% endif %}
keyed_events as (
    select
        coalesce(
            session_id,
            {{ dbt.concat(["'no_session|'", "coalesce(customer_id, anonymous_id)", "'|'",
                "cast(cast(event_at as date) as " ~ dbt.type_string() ~ ")"]) }}
        ) as session_key,
        session_id,
        customer_id,
        anonymous_id,
        product_id,
        event_type,
        event_at
    from web_events
),

{#- the sessions (and days) to (re)compute: all of them, or those touched by the window -#}
sessions_in_scope as (
    select distinct session_key
    from keyed_events
    {% if is_incremental() -%}
    where event_at >= (select window_start_at from recompute_window)
    {%- endif %}
),

session_events as (
    select keyed_events.*
    from keyed_events
    {% if is_incremental() -%}
    inner join sessions_in_scope
        on keyed_events.session_key = sessions_in_scope.session_key
    {%- endif %}
),

{#- issue 7: the distinct products per session are counted from the distinct
    (session, event type, product) triples rather than with count(distinct) next to the other
    session aggregates, which made one hash aggregate keep two distinct sets per session -#}
session_rollup as (
    select
        session_key,
        max(session_id) as session_id,
        max(customer_id) as customer_id,
        max(anonymous_id) as anonymous_id,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        min(case when event_type = 'add_to_cart' then event_at end) as first_added_at,
        max(case when event_type = 'add_to_cart' then event_at end) as last_added_at,
        max(case when event_type = 'purchase' then 1 else 0 end) as has_purchase
    from session_events
    group by session_key
),

session_products as (
    select
        session_key,
        event_type,
        product_id
    from session_events
    where event_type in ('product_view', 'add_to_cart')
        and product_id is not null
    group by session_key, event_type, product_id
),

session_product_counts as (
    select
        session_key,
        sum(case when event_type = 'product_view' then 1 else 0 end) as products_viewed,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as products_added
    from session_products
    group by session_key
),

sessions as (
    select
        session_rollup.session_key,
        session_rollup.session_id,
        session_rollup.customer_id,
        session_rollup.anonymous_id,
        session_rollup.session_started_at,
        session_rollup.session_ended_at,
        session_rollup.product_views,
        coalesce(session_product_counts.products_viewed, 0) as products_viewed,
        session_rollup.add_to_carts,
        coalesce(session_product_counts.products_added, 0) as products_added,
        session_rollup.first_added_at,
        session_rollup.last_added_at,
        session_rollup.has_purchase
    from session_rollup
    left join session_product_counts
        on session_rollup.session_key = session_product_counts.session_key
),

abandoned_cart as (
    select
        'abandoned_cart' as trigger_name,
        session_key as trigger_key,
        session_id,
        customer_id,
        anonymous_id,
        first_added_at as started_at,
        last_added_at as anchor_at,
        add_to_carts as event_count,
        products_added as product_count,
        has_purchase = 1 as has_purchase,
        true as has_add_to_cart
    from sessions
    where add_to_carts > 0
),

browse_abandonment as (
    select
        'browse_abandonment' as trigger_name,
        session_key as trigger_key,
        session_id,
        customer_id,
        anonymous_id,
        session_started_at as started_at,
        session_ended_at as anchor_at,
        product_views as event_count,
        products_viewed as product_count,
        has_purchase = 1 as has_purchase,
        add_to_carts > 0 as has_add_to_cart
    from sessions
    where product_views > 0
),

browse_day_events as (
    select
        customer_id,
        anonymous_id,
        cast(event_at as date) as browse_date,
        product_id,
        event_at
    from keyed_events
    where event_type = 'product_view'
    {% if is_incremental() -%}
        {#- whole days, so a day's row is always computed from all of its events -#}
        and event_at >= cast(cast((select window_start_at from recompute_window) as date) as {{ ts_type }})
    {%- endif %}
),

{#- per identifiers, day and product first, so the day's distinct products are a plain count -#}
browse_day_products as (
    select
        customer_id,
        anonymous_id,
        browse_date,
        product_id,
        count(*) as product_events,
        min(event_at) as first_viewed_at,
        max(event_at) as last_viewed_at
    from browse_day_events
    group by customer_id, anonymous_id, browse_date, product_id
),

high_value_browsing as (
    select
        'high_value_browsing' as trigger_name,
        {{ dbt.concat(["coalesce(customer_id, '')", "'|'", "coalesce(anonymous_id, '')", "'|'",
            "cast(browse_date as " ~ dbt.type_string() ~ ")"]) }} as trigger_key,
        cast(null as {{ dbt.type_string() }}) as session_id,
        customer_id,
        anonymous_id,
        min(first_viewed_at) as started_at,
        max(last_viewed_at) as anchor_at,
        sum(product_events) as event_count,
        count(product_id) as product_count,
        false as has_purchase,
        false as has_add_to_cart
    from browse_day_products
    group by customer_id, anonymous_id, browse_date
),

unioned as (
    select * from abandoned_cart
    union all
    select * from browse_abandonment
    union all
    select * from high_value_browsing
),

final as (
    select
        {{ dbt.hash(dbt.concat(['trigger_name', "'|'", 'trigger_key'])) }} as trigger_event_id,
        trigger_name,
        trigger_key,
        session_id,
        customer_id,
        anonymous_id,
        started_at,
        anchor_at,
        cast(event_count as {{ dbt.type_int() }}) as event_count,
        cast(product_count as {{ dbt.type_int() }}) as product_count,
        has_add_to_cart,
        has_purchase
    from unioned
)

select * from final
