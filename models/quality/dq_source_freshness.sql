{#-
    Freshness per source, measured on the data itself: the latest clean timestamp against the
    as-of date. (dbt source freshness, configured on the sources, measures when files were
    landed instead: `_loaded_at`.) A source is stale when its latest timestamp lags the as-of
    date by more than its max_lag_days in dq_sources(); an empty source has no lag.
-#}
with

sources_latest as (
    {% for s in dq_sources() %}
    select
        '{{ s.source }}' as source,
        count(*) as clean_rows,
        {% if s.timestamp -%}
        max({{ s.timestamp }}) as latest_at,
        {%- else -%}
        cast(null as {{ api.Column.translate_type('timestamp') }}) as latest_at,
        {%- endif %}
        {{ s.max_lag_days if s.max_lag_days is not none else 'cast(null as ' ~ dbt.type_int() ~ ')' }} as max_lag_days,
        '{{ s.timestamp or "" }}' as timestamp_column
    from {{ ref(s.clean) }}
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

loaded as (
    {% for s in dq_sources() %}
    select
        '{{ s.source }}' as source,
        max(_loaded_at) as last_loaded_at
    from {{ source(s.source_name, s.table) }}
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

final as (
    select
        sources_latest.source,
        nullif(sources_latest.timestamp_column, '') as timestamp_column,
        cast(sources_latest.clean_rows as {{ dbt.type_bigint() }}) as clean_rows,
        sources_latest.latest_at,
        {{ as_of_date() }} as as_of_date,
        {{ dbt.datediff('sources_latest.latest_at', as_of_date(), 'day') }} as lag_days,
        sources_latest.max_lag_days,
        case
            when sources_latest.latest_at is null or sources_latest.max_lag_days is null then null
            else {{ dbt.datediff('sources_latest.latest_at', as_of_date(), 'day') }} <= sources_latest.max_lag_days
        end as is_fresh,
        loaded.last_loaded_at
    from sources_latest
    left join loaded
        on sources_latest.source = loaded.source
)

select * from final
