{#-
    Trigger segments now (at the data clock, int_segment_trigger_clock), one row per person and
    trigger:
      abandoned_cart       a cart session whose last add_to_cart is more than
                           `trigger_abandoned_cart_hours` old, with no purchase in the session and
                           no order by the person since the first add; live for
                           `trigger_active_days` after it fired
      browse_abandonment   a session with product views, no add_to_cart and no purchase, idle for
                           `trigger_browse_abandonment_wait_hours`, no order since; live for
                           `trigger_active_days`
      win_back             the person's last order is `trigger_win_back_days` or more ago
      high_value_browsing  product views within `trigger_high_value_browsing_days` by a person with
                           m_score >= `trigger_high_value_min_m_score` or CLV decile >=
                           `trigger_high_value_min_clv_decile`
    Events are attributed to people with today's identity graph (a device linked later counts
    for its person), and only people of customer_profiles can be members. `triggered_at` is
    when the trigger fired: the end of the wait, the lapse, or the last product view.
-#}
{{ config(tags=['realtime', 'segments']) }}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
{%- set cart_hours = var('trigger_abandoned_cart_hours') | int -%}
{%- set browse_hours = var('trigger_browse_abandonment_wait_hours') | int -%}
{%- set active_days = var('trigger_active_days') | int -%}
{%- set lapse_days = var('trigger_win_back_days') | int -%}
{%- set browsing_days = var('trigger_high_value_browsing_days') | int -%}
{%- set horizon_hours = [active_days * 24 + [cart_hours, browse_hours] | max, browsing_days * 24] | max -%}
with

trigger_events as (
    select * from {{ ref('segment_trigger_events') }}
),

clock as (
    select * from {{ ref('int_segment_trigger_clock') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

{# purchases only, as int_order_revenue counts them: a cancelled or returned order or a
    refund note is no order placed (a fixture row without a total counts as a purchase) -#}
orders as (
    select * from {{ ref('int_orders_deduplicated') }}
    where order_status = 'completed'
        and coalesce(order_total, 0) >= 0
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

scores as (
    select * from {{ ref('customer_scores') }}
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

{# int_orders_deduplicated has no person_id: resolved by customer_id here -#}
person_orders as (
    select
        customer_people.person_id,
        orders.order_id,
        orders.ordered_at
    from orders
    inner join customer_people
        on orders.customer_id = customer_people.customer_id
    cross join clock
    where orders.ordered_at <= clock.clock_at
),

recent_events as (
    select
        coalesce(by_customer.person_id, by_device.person_id) as person_id,
        trigger_events.trigger_event_id,
        trigger_events.trigger_name,
        trigger_events.started_at,
        trigger_events.anchor_at,
        trigger_events.event_count,
        trigger_events.product_count,
        trigger_events.has_add_to_cart,
        trigger_events.has_purchase
    from trigger_events
    cross join clock
    left join customer_people as by_customer
        on trigger_events.customer_id = by_customer.customer_id
    left join anonymous_people as by_device
        on trigger_events.anonymous_id = by_device.anonymous_id
    where trigger_events.anchor_at <= clock.clock_at
        and trigger_events.anchor_at >= {{ dbt.dateadd('hour', -horizon_hours, 'clock.clock_at') }}
),

{# ---------- abandoned_cart -#}
abandoned_carts as (
    select
        recent_events.person_id,
        'abandoned_cart' as segment_name,
        {{ dbt.dateadd('hour', cart_hours, 'recent_events.anchor_at') }} as triggered_at,
        {{ dbt.concat([
            "'added '", "cast(recent_events.event_count as " ~ dbt.type_string() ~ ")",
            "' item(s) ('", "cast(recent_events.product_count as " ~ dbt.type_string() ~ ")",
            "' product(s)) to the cart, last at '", "cast(recent_events.anchor_at as " ~ dbt.type_string() ~ ")",
            "', and ordered nothing within " ~ cart_hours ~ " h'"
        ]) }} as reason
    from recent_events
    cross join clock
    where recent_events.trigger_name = 'abandoned_cart'
        and not recent_events.has_purchase
        and {{ dbt.dateadd('hour', cart_hours, 'recent_events.anchor_at') }} <= clock.clock_at
        and {{ dbt.dateadd('hour', cart_hours, 'recent_events.anchor_at') }}
            >= {{ dbt.dateadd('day', -active_days, 'clock.clock_at') }}
        and not exists (
            select 1
            from person_orders
            where person_orders.person_id = recent_events.person_id
                and person_orders.ordered_at >= recent_events.started_at
        )
),

{# ---------- browse_abandonment -#}
abandoned_browsing as (
    select
        recent_events.person_id,
        'browse_abandonment' as segment_name,
        {{ dbt.dateadd('hour', browse_hours, 'recent_events.anchor_at') }} as triggered_at,
        {{ dbt.concat([
            "'viewed '", "cast(recent_events.product_count as " ~ dbt.type_string() ~ ")",
            "' product(s) in a visit ending '", "cast(recent_events.anchor_at as " ~ dbt.type_string() ~ ")",
            "' without adding any to the cart'"
        ]) }} as reason
    from recent_events
    cross join clock
    where recent_events.trigger_name = 'browse_abandonment'
        and not recent_events.has_add_to_cart
        and not recent_events.has_purchase
        and {{ dbt.dateadd('hour', browse_hours, 'recent_events.anchor_at') }} <= clock.clock_at
        and {{ dbt.dateadd('hour', browse_hours, 'recent_events.anchor_at') }}
            >= {{ dbt.dateadd('day', -active_days, 'clock.clock_at') }}
        and not exists (
            select 1
            from person_orders
            where person_orders.person_id = recent_events.person_id
                and person_orders.ordered_at >= recent_events.started_at
        )
),

{# ---------- win_back -#}
last_orders as (
    select
        person_id,
        count(*) as order_count,
        max(ordered_at) as last_ordered_at
    from person_orders
    group by person_id
),

lapsed as (
    select
        last_orders.person_id,
        'win_back' as segment_name,
        {{ dbt.dateadd('day', lapse_days, 'last_orders.last_ordered_at') }} as triggered_at,
        {{ dbt.concat([
            "'no order for " ~ lapse_days ~ "+ days: last of '", "cast(last_orders.order_count as " ~ dbt.type_string() ~ ")",
            "' order(s) on '", "cast(cast(last_orders.last_ordered_at as date) as " ~ dbt.type_string() ~ ")"
        ]) }} as reason
    from last_orders
    cross join clock
    where {{ dbt.dateadd('day', lapse_days, 'last_orders.last_ordered_at') }} <= clock.clock_at
),

{# ---------- high_value_browsing -#}
recent_browsing as (
    select
        recent_events.person_id,
        sum(recent_events.event_count) as product_views,
        max(recent_events.anchor_at) as last_viewed_at
    from recent_events
    cross join clock
    where recent_events.trigger_name = 'high_value_browsing'
        and recent_events.anchor_at >= {{ dbt.dateadd('day', -browsing_days, 'clock.clock_at') }}
    group by recent_events.person_id
),

high_value_browsing as (
    select
        recent_browsing.person_id,
        'high_value_browsing' as segment_name,
        recent_browsing.last_viewed_at as triggered_at,
        {{ dbt.concat([
            "'viewed '", "cast(recent_browsing.product_views as " ~ dbt.type_string() ~ ")",
            "' product page(s) in the last " ~ browsing_days ~ " day(s); m_score '",
            "coalesce(cast(profiles.m_score as " ~ dbt.type_string() ~ "), '-')",
            "', CLV decile '", "coalesce(cast(scores.clv_decile as " ~ dbt.type_string() ~ "), '-')"
        ]) }} as reason
    from recent_browsing
    inner join profiles
        on recent_browsing.person_id = profiles.person_id
    left join scores
        on recent_browsing.person_id = scores.person_id
    where profiles.m_score >= {{ var('trigger_high_value_min_m_score') }}
        or scores.clv_decile >= {{ var('trigger_high_value_min_clv_decile') }}
),

unioned as (
    select * from abandoned_carts
    union all
    select * from abandoned_browsing
    union all
    select * from lapsed
    union all
    select * from high_value_browsing
),

{# one row per person and trigger: the latest firing -#}
ranked as (
    select
        unioned.*,
        row_number() over (
            partition by unioned.person_id, unioned.segment_name
            order by unioned.triggered_at desc, unioned.reason
        ) as firing_rank
    from unioned
    inner join profiles
        on unioned.person_id = profiles.person_id
),

final as (
    select
        ranked.person_id,
        ranked.segment_name,
        ranked.reason,
        cast(ranked.triggered_at as {{ ts_type }}) as triggered_at,
        clock.clock_at,
        clock.as_of_date
    from ranked
    cross join clock
    where ranked.firing_rank = 1
)

select * from final
