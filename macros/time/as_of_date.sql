{#-
    as_of_date(): SQL expression for the date every profile and score is computed as of.

    The var `as_of_date` ('YYYY-MM-DD') wins; otherwise it is the date of the latest usable order
    or event (see int_as_of_date), so a build on the same data always gives the same answer.
-#}
{% macro as_of_date() %}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        (select as_of_date from {{ ref('int_as_of_date') }})
    {%- endif -%}
{% endmacro %}


{#- as_of_timestamp(): end of the as-of day, the exclusive upper bound for "known by then". -#}
{% macro as_of_timestamp() %}
    {{ dbt.dateadd('day', 1, 'cast(' ~ as_of_date() ~ ' as ' ~ api.Column.translate_type('timestamp') ~ ')') }}
{% endmacro %}


{#-
    future_cutoff(): timestamps at or after this are quarantined as `future_timestamp`: the end
    of the day as_of_date + var `future_tolerance_days`.
-#}
{% macro future_cutoff() %}
    {{ dbt.dateadd('day', var('future_tolerance_days'), as_of_timestamp()) }}
{% endmacro %}
