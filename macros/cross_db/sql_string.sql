{#- sql_string(value): `value` (a path, a file name, a var) as a SQL string literal, its quotes
    escaped the way the adapter reads them (dbt.escape_single_quotes: doubled on DuckDB, a
    backslash on Spark), so no value from outside the project can end the literal early. -#}
{% macro sql_string(value) %}
    {{- return("'" ~ dbt.escape_single_quotes(value | string) ~ "'") -}}
{% endmacro %}
