{#- clean_text(expr): trimmed text, empty string as null. -#}
{% macro clean_text(expr) %}
    nullif(trim({{ expr }}), '')
{% endmacro %}


{#- clean_code(expr): trimmed, lower-cased code value, empty as null. -#}
{% macro clean_code(expr) %}
    nullif(lower(trim({{ expr }})), '')
{% endmacro %}


{#-
    normalize_email(expr): trimmed, lower-cased address; null when blank or when it does not
    look like local@domain.tld (one @, a dot after it, no blanks inside).
-#}
{% macro normalize_email(expr) %}
    case
        when lower(trim({{ expr }})) like '%_@_%._%'
            and lower(trim({{ expr }})) not like '%@%@%'
            and lower(trim({{ expr }})) not like '% %'
            then lower(trim({{ expr }}))
    end
{% endmacro %}


{#-
    normalize_phone(expr): digits only, with a leading + kept when the raw value had one or
    started with 00; null when fewer than 7 digits remain.
-#}
{% macro normalize_phone(expr) %}
    {{ return(adapter.dispatch('normalize_phone', 'audience')(expr)) }}
{% endmacro %}

{% macro default__normalize_phone(expr) %}
    {%- set ns = namespace(digits="trim(" ~ expr ~ ")") -%}
    {%- for token in [' ', '-', '(', ')', '.', '/'] -%}
        {%- set ns.digits = dbt.replace(ns.digits, "'" ~ token ~ "'", "''") -%}
    {%- endfor -%}
    case when {{ dbt.length(ns.digits) }} >= 7 then {{ ns.digits }} end
{% endmacro %}

{% macro duckdb__normalize_phone(expr) %}
    {%- set digits = "regexp_replace(regexp_replace(trim(" ~ expr ~ "), '^00', ''), '[^0-9]', '', 'g')" -%}
    case
        when length({{ digits }}) >= 7
            then (case when trim({{ expr }}) like '+%' or trim({{ expr }}) like '00%' then '+' else '' end)
                || {{ digits }}
    end
{% endmacro %}


{#-
    country_alias_key(expr): the lookup key of a raw country value in the seed country_codes:
    trimmed, lower-cased, dots removed ("U.K." -> "uk", " Deutschland " -> "deutschland").
-#}
{% macro country_alias_key(expr) %}
    nullif(lower(trim({{ dbt.replace(expr, "'.'", "''") }})), '')
{% endmacro %}
