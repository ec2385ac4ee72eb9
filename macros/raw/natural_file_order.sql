{#-
    natural_file_order(expr): a text whose plain sort order is the natural order of the file
    path `expr`: every run of digits is compared by its value, so `batch_10.csv` sorts after
    `batch_9.csv` and `2024-6-10.csv` after `2024-6-9.csv`. Each digit run, without its leading
    zeros, is prefixed by its length in four digits (a longer number is larger; equal lengths
    compare digit by digit). "The latest landed version" (latest_landed_order) ranks files this
    way.
-#}
{% macro natural_file_order(expr) %}
    {{ return(adapter.dispatch('natural_file_order', 'audience')(expr)) }}
{% endmacro %}

{% macro default__natural_file_order(expr) -%}
    array_join(transform(regexp_extract_all({{ expr }}, '([0-9]+|[^0-9]+)', 1), part -> case
        when part rlike '^[0-9]' then lpad(cast(length(coalesce(nullif(regexp_replace(part, '^0+', ''), ''), '0')) as string), 4, '0')
            || coalesce(nullif(regexp_replace(part, '^0+', ''), ''), '0')
        else part
    end), '')
{%- endmacro %}

{% macro duckdb__natural_file_order(expr) -%}
    array_to_string(list_transform(regexp_extract_all({{ expr }}, '[0-9]+|[^0-9]+'), part -> case
        when regexp_matches(part, '^[0-9]') then lpad(cast(length(coalesce(nullif(ltrim(part, '0'), ''), '0')) as varchar), 4, '0')
            || coalesce(nullif(ltrim(part, '0'), ''), '0')
        else part
    end), '')
{%- endmacro %}
