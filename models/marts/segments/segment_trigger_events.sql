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
    materialized=incremental_materialization(),
    unique_key='trigger_event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    tags=['realtime', 'segments'],
) }}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
{%- set date_type = api.Column.translate_type('date') -%}
{%- set lookback_hours = var('trigger_lookback_hours') | int -%}
{%- set session_key -%}
    coalesce(
        session_id,
        {{ dbt.concat(["'no_session|'", "coalesce(customer_id, anonymous_id)", "'|'",
            "cast(cast(event_at as " ~ date_type ~ ") as " ~ dbt.type_string() ~ ")"]) }}
    )
{%- endset -%}
{#- Incremental runs: the window start is looked up before the statement runs and
    written into it as a literal, so that it reaches the scan of int_web_events_deduplicated as a
    plain filter (a bound computed in a CTE or a scalar subquery is not pushed into the scan, and
    the run then read and materialised every event). A recomputed session needs all of its
    events: those from the window's first day on are read by that bound; the few sessions that
    also have events before that day (sessions across midnight, reused session ids) are listed
    from int_web_sessions_daily (3.5x fewer rows than the events) and their earlier events read
    by session_id. More than var trigger_max_listed_sessions of them (default 20000): their
    earlier events are read from their earliest day instead. -#}
-- depends_on: {{ ref('int_web_sessions_daily') }}
{%- set window_start_at = '1900-01-01 00:00:00' -%}
{%- set window_date = '1900-01-01' -%}
{%- set early_sessions = [] -%}
{%- set early_start_date = none -%}
{%- if is_incremental() and execute -%}
    {%- set window_sql -%}
        select {{ dbt.dateadd('hour', -lookback_hours, 'max(anchor_at)') }} from {{ this }}
    {%- endset -%}
    {%- set window_value = run_query(window_sql).columns[0].values()[0] -%}
    {%- if window_value is not none -%}
        {%- set window_start_at = window_value.strftime('%Y-%m-%d %H:%M:%S.%f') -%}
        {%- set window_date = window_value.strftime('%Y-%m-%d') -%}
        {%- set early_sql -%}
            {#- prefixed, so that run_query's type inference cannot read an id such as '007' as a number #}
            select {{ dbt.concat(["'s'", 'session_id']) }} as session_ref, min(event_date) as first_date
            from {{ ref('int_web_sessions_daily') }}
            where event_date < cast('{{ window_date }}' as {{ date_type }})
                and session_id in (
                    select session_id
                    from {{ ref('int_web_sessions_daily') }}
                    where event_date >= cast('{{ window_date }}' as {{ date_type }})
                )
            group by session_id
            order by 1
        {%- endset -%}
        {%- set early = run_query(early_sql) -%}
        {%- if early.rows | length <= var('trigger_max_listed_sessions', 20000) | int -%}
            {%- set early_sessions = early.columns[0].values() | map('string') | map('replace', 's', '', 1) | list -%}
        {%- else -%}
            {%- set early_start_date = (early.columns[1].values() | min).strftime('%Y-%m-%d') -%}
        {%- endif -%}
    {%- endif -%}
{%- endif %}
with

{#- the sessions (and days) to (re)compute: all of them, or those touched by the window #}
{% if is_incremental() %}
sessions_in_scope as (
    select distinct {{ session_key }} as session_key
    from {{ ref('int_web_events_deduplicated') }}
    where event_at >= cast('{{ window_start_at }}' as {{ ts_type }})
        and event_at < {{ as_of_timestamp() }}
),

{% endif %}
{#- every event of those sessions (all events on a first build); read once per use below rather
    than materialised as one CTE of every event.
    On incremental runs the events are read by two scans whose filters are constants the scan
    applies itself: the window's days, and before them the listed sessions (or the days from the
    earliest one's first day). Only their rows are keyed and matched with the sessions in scope;
    one filter with an `or` over both would be applied after the scan, keying every event. -#}
{% set event_columns %}
        {{ session_key }} as session_key,
        session_id,
        customer_id,
        anonymous_id,
        product_id,
        event_type,
        event_at
{%- endset %}
{% set session_events_sql %}
    {%- if not is_incremental() %}
    select {{ event_columns }}
    from {{ ref('int_web_events_deduplicated') }}
    where event_at < {{ as_of_timestamp() }}
    {%- else %}
    select *
    from (
        select {{ event_columns }}
        from {{ ref('int_web_events_deduplicated') }}
        where event_at >= cast('{{ window_date }}' as {{ ts_type }})
            and event_at < {{ as_of_timestamp() }}
        {%- if early_start_date is not none or early_sessions %}

        union all

        select {{ event_columns }}
        from {{ ref('int_web_events_deduplicated') }}
        where event_at < cast('{{ window_date }}' as {{ ts_type }})
            and event_at < {{ as_of_timestamp() }}
            {%- if early_start_date is not none %}
            and event_at >= cast('{{ early_start_date }}' as {{ ts_type }})
            {%- else %}
            and session_id in (
                {%- for session_id in early_sessions %}
                '{{ session_id | replace("'", "''") }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
            {%- endif %}
        {%- endif %}
    ) as window_events
    where session_key in (select session_key from sessions_in_scope)
    {%- endif %}
{%- endset %}
{#- an incremental run's events (about 1% of the table) are computed once for both uses below
    (macro cte_hint: materialized on DuckDB, no hint elsewhere); a first build reads the table per use -#}
{%- if is_incremental() %}
session_events as {{ cte_hint(materialized=true) }}(
    {{ session_events_sql }}
),

{%- set session_events_from = 'session_events' %}
{%- else %}
{%- set session_events_from = '(' ~ session_events_sql ~ ') as session_events' %}
{%- endif %}

{# The distinct products per session are counted from the distinct (session, event type,
    product) triples rather than with count(distinct) next to the other session aggregates, which
    would make one hash aggregate keep two distinct sets per session. count(case ... then 1 end)
    rather than sum(case ... then 1 else 0 end): the same values (a group is never empty) as
    64-bit counts instead of DuckDB's 128-bit sums, cheaper in CPU and memory. -#}
session_rollup as (
    select
        session_key,
        {#- the key is the session_id whenever a row of the session has one, so the
            session_id is read off the key; a count keeps no text per session where max()
            kept one (29M sessions at 1M customers) -#}
        case when count(session_id) > 0 then session_key end as session_id,
        max(customer_id) as customer_id,
        max(anonymous_id) as anonymous_id,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at,
        count(case when event_type = 'product_view' then 1 end) as product_views,
        count(case when event_type = 'add_to_cart' then 1 end) as add_to_carts,
        min(case when event_type = 'add_to_cart' then event_at end) as first_added_at,
        max(case when event_type = 'add_to_cart' then event_at end) as last_added_at,
        max(case when event_type = 'purchase' then 1 else 0 end) as has_purchase
    from {{ session_events_from }}
    group by session_key
),

session_products as (
    select
        session_key,
        event_type,
        product_id
    from {{ session_events_from }}
    where event_type in ('product_view', 'add_to_cart')
        and product_id is not null
    group by session_key, event_type, product_id
),

session_product_counts as (
    select
        session_key,
        count(case when event_type = 'product_view' then 1 end) as products_viewed,
        count(case when event_type = 'add_to_cart' then 1 end) as products_added
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
    from {{ ref('int_web_events_deduplicated') }}
    where event_type = 'product_view'
        and event_at < {{ as_of_timestamp() }}
    {% if is_incremental() -%}
        {#- whole days, so a day's row is always computed from all of its events -#}
        and event_at >= cast('{{ window_date }}' as {{ ts_type }})
    {%- endif %}
),

{# per identifiers, day and product first, so the day's distinct products are a plain count -#}
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
