{#-
    divide(numerator, denominator): numerator / denominator as a double on every engine.

    Engines type a quotient of decimals differently: DuckDB divides in doubles, Spark keeps a
    decimal whose scale is cut to 6 places once the precision runs out (0.000123456 becomes
    0.000123), Snowflake keeps a scale of its own. A ratio that feeds a score, a fit or a
    threshold (rates, shares, averages, weeks) must not depend on the engine, so the numerator
    is cast to a double first and the quotient is a double everywhere. The caller guards a zero
    denominator (case ... when, nullif) as before.
-#}
{% macro divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / ({{ denominator }})
{%- endmacro %}
