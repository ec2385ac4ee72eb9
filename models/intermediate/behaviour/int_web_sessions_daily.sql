{#-
    Clean web/app events rolled up once to one row per device, customer id, session and day,
    with event counts by type.

    int_identity_edges (through int_identity_web_pairs) reads this instead of every web event;
    its date bound is the end of a day, so a day-level rollup answers it exactly
    with 3.5x fewer rows. session_id, anonymous_id and customer_id may be null (kept as their own
    groups). The counts by type are there for the activity features.
-#}
{#- Incremental by date (delete+insert on event_date): a date is recomputed whole when its
    events changed since this table last wrote it: int_web_events_deduplicated wrote a row on
    it since (its `_written_at` is later), or it holds another number of events (an event was
    removed or moved to another date). A date with no event left is written as a placeholder
    row (events = 0) that the post-hook deletes. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='event_date',
    on_schema_change='append_new_columns',
    post_hook="{% if is_incremental() %}delete from {{ this }} where events = 0{% endif %}",
) }}

with

{% if is_incremental() %}
event_dates as (
    select
        cast(event_at as date) as event_date,
        count(*) as events,
        max(_written_at) as written_at
    from {{ ref('int_web_events_deduplicated') }}
    group by cast(event_at as date)
),

rollup_dates as (
    select
        event_date,
        sum(events) as events,
        max(_written_at) as written_at
    from {{ this }}
    group by event_date
),

changed_dates as (
    select
        coalesce(event_dates.event_date, rollup_dates.event_date) as event_date,
        event_dates.event_date is null as is_empty
    from event_dates
    full outer join rollup_dates
        on event_dates.event_date = rollup_dates.event_date
    where event_dates.event_date is null
        or rollup_dates.event_date is null
        or event_dates.events <> rollup_dates.events
        or event_dates.written_at > coalesce(rollup_dates.written_at, cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }}))
),
{% endif %}

web_events as (
    select * from {{ ref('int_web_events_deduplicated') }}
    {%- if is_incremental() %}
    where cast(event_at as date) in (select event_date from changed_dates)
    {%- endif %}
),

{# count(case ... then 1 end) rather than sum(case ... then 1 else 0 end): the same values (a
    group is never empty), as 64-bit integers instead of DuckDB's 128-bit sums, which are slower
    to aggregate, write and read. -#}
final as (
    select
        anonymous_id,
        customer_id,
        session_id,
        cast(event_at as date) as event_date,
        count(*) as events,
        count(case when event_type = 'page_view' then 1 end) as page_views,
        count(case when event_type = 'product_view' then 1 end) as product_views,
        count(case when event_type = 'add_to_cart' then 1 end) as add_to_carts,
        count(case when event_type = 'purchase' then 1 end) as purchases,
        max(event_at) as last_event_at,
        {{ written_at() }} as _written_at
    from web_events
    group by anonymous_id, customer_id, session_id, cast(event_at as date)
    {%- if is_incremental() %}

    union all

    -- dates with no event left: placeholders, deleted by the post-hook
    select
        null, null, null, event_date, 0, 0, 0, 0, 0, null, {{ written_at() }}
    from changed_dates
    where is_empty
    {%- endif %}
)

select * from final
