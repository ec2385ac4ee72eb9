{#-
    sql_string(value): `value` (a path, a file name, a var, a literal of a `replace`) as a SQL
    string literal of the target engine, so no value from outside the project can end the literal
    early.

    DuckDB, Postgres and Snowflake escape a quote by doubling it and read a backslash as itself;
    Spark/Databricks and BigQuery read a backslash as an escape character, so there both are
    escaped with a backslash.
-#}
{% macro sql_string(value) %}
    {{- return(adapter.dispatch('sql_string', 'audience')(value | string)) -}}
{% endmacro %}

{% macro default__sql_string(value) %}
    {{- return("'" ~ (value | replace("'", "''")) ~ "'") -}}
{% endmacro %}

{% macro spark__sql_string(value) %}
    {{- return("'" ~ (value | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{% endmacro %}

{% macro bigquery__sql_string(value) %}
    {{- return(spark__sql_string(value)) -}}
{% endmacro %}
