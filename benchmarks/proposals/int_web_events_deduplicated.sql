{#- Clean web/app events, one row per event_id; the latest landed version wins.
    issue 7 proposal (docs/benchmarks.md): only the ~2 % of event_ids that occur more than once
    are ranked; the others pass straight through (same rows, 1.6x faster at 10k customers).
    The same shape applies to every int_*_deduplicated model. -#}
{{ config(materialized='table') }}

with

web_events as (
    select * from {{ ref('int_web_events_validated') }}
    where dq_reason is null
),

repeated_keys as (
    select event_id
    from web_events
    group by event_id
    having count(*) > 1
),

singles as (
    select web_events.*
    from web_events
    where web_events.event_id not in (select repeated_keys.event_id from repeated_keys)
),

ranked as (
    select
        web_events.*,
        row_number() over (
            partition by web_events.event_id
            order by web_events._source_file desc, web_events._source_row desc
        ) as version_rank
    from web_events
    where web_events.event_id in (select repeated_keys.event_id from repeated_keys)
),

kept as (
    select * exclude (version_rank) from ranked
    where version_rank = 1
    union all
    select * from singles
),

final as (
    select
        event_id,
        anonymous_id,
        customer_id,
        session_id,
        product_id,
        event_type,
        platform,
        page_url,
        category,
        event_at,
        _source_file,
        _source_row
    from kept
)

select * from final
