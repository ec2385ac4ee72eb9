{#-
    The dates the activity features are computed as of, with the bounds of their windows: the
    build's as-of date and the churn examples' cut-offs (macro churn_cutoffs: as-of date minus H
    and 2H days, H = var churn_horizon_days). Every bound is a midnight: only data known by the
    end of a day counts (event_at < as_of_date + 1 day), and the 30- and 90-day windows end
    there. Equal dates give one row.
-#}
{{ config(materialized='table') }}

{%- set dates = [as_of_date()] + (churn_cutoffs().values() | list) -%}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
{%- set date_type = api.Column.translate_type('date') -%}
{%- set cutoff = dbt.dateadd('day', 1, 'cast(as_of_date as ' ~ ts_type ~ ')') -%}

with

as_of_dates as (
    {% for expr in dates -%}
    select cast({{ expr }} as {{ date_type }}) as as_of_date
    {{ 'union' if not loop.last }}
    {% endfor %}
),

final as (
    select
        as_of_date,
        {{ cutoff }} as cutoff_at,
        {{ dbt.dateadd('day', -30, cutoff) }} as since_30d_at,
        {{ dbt.dateadd('day', -90, cutoff) }} as since_90d_at,
        cast({{ cutoff }} as {{ date_type }}) as cutoff_date,
        cast({{ dbt.dateadd('day', -30, cutoff) }} as {{ date_type }}) as since_30d_date,
        cast({{ dbt.dateadd('day', -90, cutoff) }} as {{ date_type }}) as since_90d_date
    from as_of_dates
)

select * from final
