{#-
    round_to(expr, digits): a number rounded to `digits` decimal places, the same on every engine,
    as a double. The value is first read as a decimal with 9 places, then rounded half away from
    zero: 20.275, stored as the double 20.27499..., gives 20.28 on every engine, and an average
    one engine computes in decimals (33.115) and another in doubles (33.11499...) rounds alike.
    Rounding the binary double directly differs by engine: DuckDB rounds the binary value
    (20.27), Spark reads the double as its shortest decimal text first (20.28). Used where a
    rounded figure is written into text (customer_clusters.explanation).
-#}
{% macro round_to(expr, digits) -%}
    cast(round(cast({{ expr }} as decimal(38, 9)), {{ digits }}) as {{ type_double() }})
{%- endmacro %}
