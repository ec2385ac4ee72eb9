{#-
    cte_hint(materialized): the hint written between `<name> as` and the CTE's parenthesis, so a
    CTE read more than once is computed once (`materialized=true`) or re-read per use
    (`materialized=false`). DuckDB (and Postgres) take `materialized` / `not materialized`; the
    default is no hint, since Snowflake, BigQuery, Spark and Trino plan the CTE themselves and
    reject the keywords.

    Why it matters on DuckDB: DuckDB materializes a CTE referenced more than once unless told
    not to. For a CTE that only filters a table (`select * from validated where dq_reason is
    null`), that copies every column of every row into memory (spilling past memory_limit)
    before the first reader starts; not materialized, each reader scans the table and keeps only
    the columns it needs.
        web_events as {{ cte_hint(materialized=false) }}(
-#}
{% macro cte_hint(materialized) %}
    {{- return(adapter.dispatch('cte_hint', 'audience')(materialized)) -}}
{% endmacro %}

{% macro default__cte_hint(materialized) -%}
{%- endmacro %}

{% macro duckdb__cte_hint(materialized) -%}
    {{- 'materialized ' if materialized else 'not materialized ' -}}
{%- endmacro %}
