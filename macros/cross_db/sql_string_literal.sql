{#-
    sql_string_literal(value): `value` as a SQL string literal of the target engine.

    DuckDB, Postgres and Snowflake's default escape a quote by doubling it and read a backslash
    as itself; Spark/Databricks and BigQuery read a backslash as an escape character, so there
    both are escaped with a backslash. Use it for literals that may hold a quote or a backslash
    (e.g. the `'\'` of an escaping `replace`), which a hand-written literal gets wrong on one
    of the two families.
-#}
{% macro sql_string_literal(value) %}
    {{- return(adapter.dispatch('sql_string_literal', 'audience')(value)) -}}
{% endmacro %}

{% macro default__sql_string_literal(value) %}
    {{- return("'" ~ (value | replace("'", "''")) ~ "'") -}}
{% endmacro %}

{% macro spark__sql_string_literal(value) %}
    {{- return("'" ~ (value | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{% endmacro %}

{% macro bigquery__sql_string_literal(value) %}
    {{- return(spark__sql_string_literal(value)) -}}
{% endmacro %}
