{#-
    Invisible characters: zero-width space, non-joiner and joiner (U+200B-U+200D), word joiner
    (U+2060), byte-order mark / zero-width no-break space (U+FEFF) and soft hyphen (U+00AD).
    Exports pasted from web pages, Excel or chat tools carry them inside ids and emails, where
    they make `C1` and `C1<U+200B>` two customers. clean_text drops them everywhere, so every
    id (customers, orders, order lines, events, sessions) is keyed without them; the
    non-breaking space (U+00A0) around a value is trimmed like a blank.
-#}
{% macro invisible_characters_pattern() -%}
    [{{ '\u200b\u200c\u200d\u2060\ufeff\u00ad' }}]
{%- endmacro %}


{#- clean_text(expr): text without invisible characters, trimmed of blanks, empty string as null. -#}
{% macro clean_text(expr) %}
    {{ return(adapter.dispatch('clean_text', 'audience')(expr)) }}
{% endmacro %}

{% macro default__clean_text(expr) -%}
    nullif(trim(regexp_replace(regexp_replace({{ expr }}, '{{ invisible_characters_pattern() }}', ''), '^{{ '\u00a0' }}+|{{ '\u00a0' }}+$', '')), '')
{%- endmacro %}

{% macro duckdb__clean_text(expr) -%}
    nullif(trim(regexp_replace({{ expr }}, '{{ invisible_characters_pattern() }}', '', 'g'), ' {{ '\u00a0' }}'), '')
{%- endmacro %}


{#- clean_code(expr): trimmed, lower-cased code value, empty as null. -#}
{% macro clean_code(expr) %}
    nullif(lower(trim({{ expr }})), '')
{% endmacro %}


{#-
    normalize_email(expr): the address in one canonical form, or null when the field holds no
    single valid address. The value is cleaned (clean_text: invisible characters dropped,
    trimmed), lower-cased, a `mailto:` prefix and the angle brackets of `<a@b.org>` or
    `Ann <a@b.org>` are removed; what remains must look like local@domain.tld: one @, a dot
    after it, no blanks, commas, semicolons or angle brackets inside. Two addresses in one field
    (`a@x.org; b@y.org`) are no valid address. invalid_email_text(raw, email) tells a present
    but invalid value apart from a blank one.
-#}
{% macro normalize_email(expr) %}
    {{ return(adapter.dispatch('normalize_email', 'audience')(expr)) }}
{% endmacro %}

{% macro default__normalize_email(expr) %}
    {%- set v = "trim(regexp_replace(regexp_replace(lower(" ~ clean_text(expr) ~ "), '^mailto:[ ]*', ''), '^[^<>@]*<([^<>]*)>$', '$1'))" -%}
    case when {{ v }} rlike '^[^@ ,;<>]+@[^@ ,;<>]+[.][^@ ,;<>]+$' then {{ v }} end
{% endmacro %}

{% macro duckdb__normalize_email(expr) %}
    {%- set v = "trim(regexp_replace(regexp_replace(lower(" ~ clean_text(expr) ~ "), '^mailto:[ ]*', ''), '^[^<>@]*<([^<>]*)>$', '\\1'))" -%}
    case when regexp_full_match({{ v }}, '[^@ ,;<>]+@[^@ ,;<>]+[.][^@ ,;<>]+') then {{ v }} end
{% endmacro %}


{#- invalid_email_text(raw_expr, email_expr): the raw field holds text but no valid address -#}
{% macro invalid_email_text(raw_expr, email_expr) -%}
    ({{ clean_text(raw_expr) }} is not null and {{ email_expr }} is null)
{%- endmacro %}


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
