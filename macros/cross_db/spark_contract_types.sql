{#-
    Contracts on Spark: the model YAML files declare contract types in DuckDB's spelling
    (`varchar`), which Spark refuses without a length. dbt builds a contract's expected schema
    with `dbt.cast(null, data_type)`, so on Spark that cast reads `varchar` and `text` as
    `string`, Spark's text type; every other type name is the same on both engines.
-#}
{% macro spark__cast(field, type) %}
    {%- set spark_type = {'varchar': 'string', 'text': 'string'}.get(type | trim | lower, type) -%}
    cast({{ field }} as {{ spark_type }})
{%- endmacro %}
