{#-
    One row: the as-of date of this build and how it was chosen.

    The var `as_of_date` wins. Otherwise the as-of date is the build's own date (UTC), capped by
    the latest date the data supports: per source (orders, CRM customers' updated_at, consent,
    web, email and survey events; staged rows with no staging reason, not later than the clock
    plus `future_tolerance_days`), the latest day within `as_of_tail_days` days of the day the
    latest `as_of_tail_share` of the source's rows (at least two, when it has two) reach; the latest of those
    over all sources is the data's date. So one order with a mistyped year cannot move the
    build: rows past its source's supported date are counted in `rows_after_as_of_date` (and in
    dq_reconciliation), and a row later than the clock is quarantined as future_timestamp.
    A table (intermediate/core in dbt_project.yml): every reader of as_of_date() queries it, and
    it scans the staged timestamps once.
-#}

{%- set sources = [
    ('shop.orders', 'stg_shop__orders', 'ordered_at'),
    ('crm.customers', 'stg_crm__customers', 'updated_at'),
    ('crm.consent_events', 'stg_crm__consent_events', 'event_at'),
    ('web.events', 'stg_web__events', 'event_at'),
    ('email.events', 'stg_email__events', 'event_at'),
    ('survey.responses', 'stg_survey__responses', 'submitted_at'),
] -%}
{%- set ts = api.Column.translate_type('timestamp') -%}

with

daily as (
    {% for label, model, column in sources %}
    select
        '{{ label }}' as source,
        cast({{ column }} as date) as activity_date,
        count(*) as row_count
    from {{ ref(model) }}
    where dq_reason is null
        and {{ column }} is not null
        and {{ column }} < {{ future_cutoff() }}
    group by cast({{ column }} as date)
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

tail as (
    select
        source,
        activity_date,
        row_count,
        sum(row_count) over (
            partition by source order by activity_date desc
            rows between unbounded preceding and current row
        ) as rows_on_or_after,
        sum(row_count) over (partition by source) as source_rows
    from daily
),

{# the day the latest as_of_tail_share of a source's rows (at least two) reach -#}
tail_start as (
    select
        source,
        max(activity_date) as tail_date
    from tail
    where rows_on_or_after >= least(source_rows, greatest(2, {{ var('as_of_tail_share') }} * source_rows))
    group by source
),

supported as (
    select
        tail.source,
        max(tail.activity_date) as supported_date,
        max(tail_start.tail_date) as tail_date
    from tail
    inner join tail_start
        on tail.source = tail_start.source
    where tail.activity_date <= {{ dbt.dateadd('day', var('as_of_tail_days'), 'tail_start.tail_date') }}
    group by tail.source
),

data_date as (
    select
        max(supported_date) as supported_date,
        max(
            case
                when supported_date = (select max(every_source.supported_date) from supported as every_source)
                    then source
            end
        ) as supported_by
    from supported
),

latest as (
    select max(activity_date) as latest_date from daily
),

clock as (
    select cast({{ build_clock() }} as date) as clock_date, {{ build_clock() }} as build_clock_at
),

chosen as (
    select
        clock.build_clock_at,
        clock.clock_date,
        data_date.supported_date,
        data_date.supported_by,
        latest.latest_date,
        {% if var('as_of_date', none) -%}
        cast({{ sql_string(var("as_of_date")) }} as date) as as_of_date,
        'var' as chosen_by
        {%- else -%}
        case
            when data_date.supported_date is null then clock.clock_date
            when data_date.supported_date > clock.clock_date then clock.clock_date
            else data_date.supported_date
        end as as_of_date,
        case
            when data_date.supported_date is null then 'build_clock'
            when data_date.supported_date > clock.clock_date then 'build_clock'
            else 'data'
        end as chosen_by
        {%- endif %}
    from clock
    cross join data_date
    cross join latest
),

final as (
    select
        as_of_date,
        chosen_by,
        case chosen_by
            when 'var' then 'set by the var as_of_date'
            when 'build_clock' then
                case
                    when supported_date is null then 'the build''s date: no usable dated row in the data'
                    else 'the build''s date: the data reaches it'
                end
            else 'the latest date the data supports (' || supported_by || ')'
        end as chosen_how,
        build_clock_at,
        supported_date as data_supported_date,
        supported_by as data_supported_by,
        latest_date as latest_activity_date,
        cast((
            select coalesce(sum(daily.row_count), 0)
            from daily
            where daily.activity_date > chosen.as_of_date
        ) as {{ dbt.type_bigint() }}) as rows_after_as_of_date
    from chosen
)

select * from final
