{#-
    round_to(expr, digits): a double rounded to `digits` decimal places with the same result on
    every engine. DuckDB rounds the binary value (x * 10^digits, rounded half away from zero,
    / 10^digits), so 20.275, stored as 20.27499..., gives 20.27. Spark's round() first reads the
    double as its shortest decimal text (20.275) and gives 20.28; the Spark version therefore
    does DuckDB's arithmetic itself. Used where a rounded figure is written into text
    (customer_clusters.explanation), which must read the same on both engines.
-#}
{% macro round_to(expr, digits) %}
    {{ return(adapter.dispatch('round_to', 'audience')(expr, digits)) }}
{% endmacro %}

{% macro default__round_to(expr, digits) -%}
    round({{ expr }}, {{ digits }})
{%- endmacro %}

{% macro spark__round_to(expr, digits) -%}
    (round(({{ expr }}) * {{ 10 ** digits }}D) / {{ 10 ** digits }}D)
{%- endmacro %}
