{#-
    try_cast(expr, type): cast that yields null instead of failing. dbt.safe_cast where the
    adapter implements it as a safe cast; DuckDB's own try_cast here, since dbt-duckdb renders
    dbt.safe_cast as a plain cast.
-#}
{% macro try_cast(expr, type) %}
    {{ return(adapter.dispatch('try_cast', 'audience')(expr, type)) }}
{% endmacro %}

{% macro default__try_cast(expr, type) %}{{ dbt.safe_cast(expr, type) }}{% endmacro %}

{% macro duckdb__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
