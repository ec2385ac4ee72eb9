{#-
    join_non_null(exprs, separator): the non-null values of the text expressions, joined by the
    separator; '' when all are null. concat_ws skips nulls on DuckDB, Postgres, Snowflake,
    Spark and MySQL; BigQuery has no concat_ws, so it uses array_to_string, which does too.
-#}
{% macro join_non_null(exprs, separator) %}
    {{ return(adapter.dispatch('join_non_null', 'audience')(exprs, separator)) }}
{% endmacro %}

{% macro default__join_non_null(exprs, separator) -%}
    concat_ws('{{ separator }}', {{ exprs | join(', ') }})
{%- endmacro %}

{% macro bigquery__join_non_null(exprs, separator) -%}
    array_to_string([{{ exprs | join(', ') }}], '{{ separator }}')
{%- endmacro %}
