{#-
    Clean web/app events rolled up once to one row per device, customer id, session and day,
    with event counts by type.

    int_identity_edges (through int_identity_web_pairs) reads this instead of every web event;
    its date bound is the end of a day, so a day-level rollup answers it exactly
    with 3.5x fewer rows. session_id, anonymous_id and customer_id may be null (kept as their own
    groups). The counts by type are there for the activity features.
-#}
{#- Incremental: the event dates whose deduplicated rows changed since the last run
    (logged by the deduplication's hooks, macros/standardize/latest_version.sql) are deleted by
    the pre-hook and recomputed whole; a full build of the deduplicated table recomputes all.
    The post-hook passes the recomputed dates on to this model's own log, read by
    int_identity_web_pairs (macros/identity/first_seen_pairs.sql). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_changed_dates(ref('int_web_events_deduplicated'), 'event_date') }}",
    post_hook="{{ forward_changed_dates(ref('int_web_events_deduplicated')) }}",
) }}

with

web_events as (
    select * from {{ ref('int_web_events_deduplicated') }}
    where {{ changed_dates_filter(ref('int_web_events_deduplicated'), 'cast(event_at as date)') }}
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
        max(event_at) as last_event_at
    from web_events
    group by anonymous_id, customer_id, session_id, cast(event_at as date)
)

select * from final
