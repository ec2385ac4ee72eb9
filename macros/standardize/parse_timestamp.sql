{#-
    parse_timestamp(expr): text -> timestamp (UTC, no time zone), null when unparseable.

    Accepts ISO 8601 (with optional T, fraction and Z/offset, converted to UTC), YYYY/MM/DD,
    DD.MM.YYYY, MM/DD/YYYY (US reading first; DD/MM/YYYY when the first part exceeds 12),
    DD-Mon-YYYY, each with an optional HH:MM[:SS] time, and Unix epoch seconds (9-10 digits).
    The default implementation (other warehouses) reads ISO 8601 only, through dbt.safe_cast.
-#}
{% macro parse_timestamp(expr) %}
    {{ return(adapter.dispatch('parse_timestamp', 'audience')(expr)) }}
{% endmacro %}

{% macro default__parse_timestamp(expr) %}
    {{ try_cast("nullif(trim(" ~ expr ~ "), '')", api.Column.translate_type('timestamp')) }}
{% endmacro %}

{% macro duckdb__parse_timestamp(expr) %}
    {%- set formats = [
        '%Y/%m/%d', '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M',
        '%d.%m.%Y', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M',
        '%m/%d/%Y', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M',
        '%d/%m/%Y', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M',
        '%d-%b-%Y', '%d-%b-%Y %H:%M:%S', '%d %b %Y', '%b %d %Y', '%Y%m%d'
    ] -%}
    {#- issue 7: the common case first. A value shaped exactly `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`
        or `YYYY-MM-DDTHH:MM:SS` that ends in a digit can be neither epoch seconds nor carry a
        Z/offset, so the cascade below would take it through the plain cast too: one `like` and
        one cast instead of two regular expressions, a cast and 17 strptime formats. Anything
        else (or a value of that shape the cast rejects) still goes through the full cascade. -#}
    case
        when ({{ expr }} like '____-__-__ __:__:__' or {{ expr }} like '____-__-__T__:__:__'
                or {{ expr }} like '____-__-__')
            and right({{ expr }}, 1) between '0' and '9'
            and try_cast({{ expr }} as timestamp) is not null
            then try_cast({{ expr }} as timestamp)
        when regexp_full_match(trim({{ expr }}), '-?[0-9]{9,10}')
            then cast(to_timestamp(cast(trim({{ expr }}) as bigint)) at time zone 'UTC' as timestamp)
        when regexp_matches(trim({{ expr }}), '[0-9](Z|[+-][0-9]{2}:?[0-9]{2})$')
            then cast(try_cast(trim({{ expr }}) as timestamptz) at time zone 'UTC' as timestamp)
        else coalesce(
            try_cast(trim({{ expr }}) as timestamp),
            try_strptime(trim({{ expr }}), [{% for f in formats %}'{{ f }}'{{ ',' if not loop.last }}{% endfor %}])
        )
    end
{% endmacro %}


{#-
    plausible_timestamp(ts): the timestamp when it lies in 1900-01-01 .. 2100-01-01, else null.
    Staging applies it after parse_timestamp, so "0001-01-01" style placeholders count as invalid.
-#}
{% macro plausible_timestamp(ts) %}
    case
        when {{ ts }} >= cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }})
            and {{ ts }} < cast('2100-01-01' as {{ api.Column.translate_type('timestamp') }})
            then {{ ts }}
    end
{% endmacro %}


{#- parse_date(expr): text -> date, via parse_timestamp. -#}
{% macro parse_date(expr) %}
    cast({{ parse_timestamp(expr) }} as date)
{% endmacro %}
