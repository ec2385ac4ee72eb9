{#-
    as_of_date(): SQL expression for the date every profile and score is computed as of.

    The var `as_of_date` ('YYYY-MM-DD') wins; otherwise int_as_of_date chooses it: the build's
    own date, capped by the latest date the data supports (a robust maximum per source, so one
    mistyped row cannot move it). int_as_of_date says how it was chosen.
-#}
{% macro as_of_date() %}
    {%- if var('as_of_date', none) -%}
        cast({{ sql_string(var("as_of_date")) }} as date)
    {%- else -%}
        (select as_of_date from {{ ref('int_as_of_date') }})
    {%- endif -%}
{% endmacro %}


{#- as_of_timestamp(): end of the as-of day, the exclusive upper bound for "known by then". -#}
{% macro as_of_timestamp() %}
    {{ dbt.dateadd('day', 1, 'cast(' ~ as_of_date() ~ ' as ' ~ api.Column.translate_type('timestamp') ~ ')') }}
{% endmacro %}


{#-
    build_clock(): the build's own clock, a UTC timestamp without time zone (the type every
    parsed timestamp has), so the comparison does not depend on the machine's zone. The var
    `build_clock` ('YYYY-MM-DD HH:MM:SS', UTC) replaces it, to repeat a build as it ran at that
    moment (the future_timestamp cutoff and the default as-of date then follow it).
-#}
{% macro build_clock() %}
    {%- if var('build_clock', none) -%}
        cast('{{ var("build_clock") }}' as {{ api.Column.translate_type('timestamp') }})
    {%- else -%}
        {{ return(adapter.dispatch('build_clock', 'audience')()) }}
    {%- endif -%}
{% endmacro %}

{% macro default__build_clock() %}
    {{ dbt.current_timestamp() }}
{% endmacro %}

{% macro duckdb__build_clock() %}
    cast(timezone('UTC', get_current_timestamp()) as timestamp)
{% endmacro %}


{#-
    future_cutoff(): timestamps at or after this are quarantined as `future_timestamp`: the
    build's clock plus var `future_tolerance_days`. It does not depend on the as-of date: a row
    dated after the as-of date but not after the clock (a backtest, a fresher CRM export) is
    current data, counted as `after_as_of_date_rows` in dq_reconciliation and left out of the
    as-of computations by their own cutoff (as_of_timestamp()).
-#}
{% macro future_cutoff() %}
    {{ dbt.dateadd('day', var('future_tolerance_days'), build_clock()) }}
{% endmacro %}
