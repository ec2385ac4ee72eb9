{#-
    percentile_cont_agg(expr, fraction): the continuous percentile of expr as an aggregate.
    Standard `percentile_cont(p) within group (order by x)` by default; DuckDB's quantile_cont.
-#}
{% macro percentile_cont_agg(expr, fraction) %}
    {{ return(adapter.dispatch('percentile_cont_agg', 'audience')(expr, fraction)) }}
{% endmacro %}

{% macro default__percentile_cont_agg(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__percentile_cont_agg(expr, fraction) -%}
    quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}

{% macro bigquery__percentile_cont_agg(expr, fraction) -%}
    approx_quantiles({{ expr }}, 1000)[offset({{ (fraction * 1000) | int }})]
{%- endmacro %}
