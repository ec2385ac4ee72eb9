{#-
    Spark implementations of the standardization macros (dispatched from macros/standardize/),
    with the same results as the DuckDB ones: the staging unit tests run on both engines.

    Spark 4 runs with ANSI mode on, where a plain cast of a bad value fails the query, so every
    parse goes through `try_cast` / `try_to_timestamp`, which yield null. Timestamps are Spark's
    TIMESTAMP type read in the session time zone: the profile sets `spark.sql.session.timeZone`
    to UTC (docs/engines.md), so they hold the same UTC wall-clock values as on DuckDB.
-#}

{% macro spark__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}


{#- The same readings as duckdb__parse_timestamp (macros/standardize/parse_timestamp.sql), step
    by step: epoch seconds; a time with a zone designator, converted to UTC by subtracting the
    offset (beyond ±14:59 unparseable); slashed dates by the parts that must be day or month,
    else by `date_order`, else null (ambiguous); the other formats in DuckDB's order. Spark's
    cast also reads bare `2024` or `2024-03` as a timestamp, which DuckDB refuses, so only
    ISO-shaped text reaches the cast. A one-letter pattern field (`d`, `M`, `H`, `m`, `s`) takes
    one or two digits, as DuckDB's %d/%m/%H/%M/%S do; month names match in any case, as
    DuckDB's %b does. -#}
{% macro spark__parse_timestamp(expr, date_order=none) %}
    {%- set t = 'trim(' ~ expr ~ ')' -%}
    {%- set zoned = regexp_contains(t, _zone_pattern()) -%}
    {%- set offset = regexp_group(t, '(Z|z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?)$', 1) -%}
    {%- set offset_digits = "replace(substr(" ~ offset ~ ", 2), ':', '')" -%}
    {#- the value without its zone designator, read once; then the offset in minutes (0 without
        a zone, null when out of range) is subtracted -#}
    {%- set local_text = "case when " ~ zoned ~ " then " ~ regexp_replace_all(t, _zone_suffix_pattern(), '') ~ " else " ~ t ~ " end" -%}
    case
        when {{ regexp_full(t, '-?[0-9]{9,10}') }}
            then timestamp_seconds(cast({{ t }} as bigint))
        else timestampadd(minute,
            -1 * case
                when not {{ zoned }} or {{ offset }} in ('Z', 'z', 'UTC', 'GMT') then 0
                when try_cast(left({{ offset_digits }}, 2) as integer) <= 14
                    and (length({{ offset_digits }}) = 2 or try_cast(right({{ offset_digits }}, 2) as integer) < 60)
                    then (case when left({{ offset }}, 1) = '-' then -1 else 1 end)
                        * (try_cast(left({{ offset_digits }}, 2) as integer) * 60
                           + case when length({{ offset_digits }}) = 4
                                then try_cast(right({{ offset_digits }}, 2) as integer) else 0 end)
            end,
            {{ _spark_local_timestamp(local_text, date_order) }})
    end
{% endmacro %}

{#- a trimmed value without zone designator -> timestamp, as written (as _local_timestamp) -#}
{% macro _spark_local_timestamp(t, date_order) %}
    {%- set formats = [
        'yyyy/M/d', 'yyyy/M/d H:m:s', 'yyyy/M/d H:m',
        'd.M.yyyy', 'd.M.yyyy H:m:s', 'd.M.yyyy H:m',
        'd-MMM-yyyy', 'd-MMM-yyyy H:m:s', 'd MMM yyyy', 'MMM d yyyy', 'yyyyMMdd'
    ] -%}
    {%- set times = ['', ' H:m:s', ' H:m', "'T'H:m:s", "'T'H:m"] -%}
    {%- set first = _slashed_part(t, 1) -%}
    {%- set second = _slashed_part(t, 2) -%}
    {%- set order = date_order if date_order else 'cast(null as string)' -%}
    case
        when {{ regexp_contains(t, _slashed_pattern()) }}
            then case
                when {{ first }} > 12
                    or ({{ first }} <> {{ second }} and {{ second }} <= 12 and {{ order }} = 'dmy')
                    then coalesce({% for x in times %}try_to_timestamp({{ t }}, {{ spark__sql_string('d/M/yyyy' ~ x) }}){{ ', ' if not loop.last }}{% endfor %})
                when {{ second }} > 12
                    or {{ first }} = {{ second }}
                    or {{ order }} = 'mdy'
                    then coalesce({% for x in times %}try_to_timestamp({{ t }}, {{ spark__sql_string('M/d/yyyy' ~ x) }}){{ ', ' if not loop.last }}{% endfor %})
            end
        else coalesce(
            case
                when {{ regexp_full(t, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?') }}
                    then try_cast({{ t }} as timestamp)
            end,
            {%- for f in formats %}
            try_to_timestamp({{ t }}, {{ spark__sql_string(f) }}){{ ',' if not loop.last }}
            {%- endfor %}
        )
    end
{% endmacro %}


{#- digits only, a leading + kept when the raw value had one or started with 00 (as on DuckDB) -#}
{% macro spark__normalize_phone(expr) %}
    {%- set digits = "regexp_replace(regexp_replace(trim(" ~ expr ~ "), '^00', ''), '[^0-9]', '')" -%}
    case
        when length({{ digits }}) >= 7
            then concat(
                case when trim({{ expr }}) like '+%' or trim({{ expr }}) like '00%' then '+' else '' end,
                {{ digits }}
            )
    end
{% endmacro %}


{#- as duckdb__clean_text: invisible characters dropped, blanks and no-break spaces trimmed at
    both ends in any mix, empty as null -#}
{% macro spark__clean_text(expr) -%}
    nullif(trim(both {{ spark__sql_string(' ' ~ '\u00a0') }} from regexp_replace({{ expr }}, {{ spark_regex_literal(invisible_characters_pattern()) }}, '')), '')
{%- endmacro %}


{#- as duckdb__normalize_email; the patterns are anchored, so replacing every match is
    replacing the first -#}
{% macro spark__normalize_email(expr) %}
    {%- set v = "trim(" ~ regexp_replace_all(regexp_replace_all("lower(" ~ clean_text(expr) ~ ")", '^mailto:[ ]*', ''), '^[^<>@]*<([^<>]*)>$', '\\1') ~ ")" -%}
    case when {{ regexp_full(v, '[^@ ,;<>]+@[^@ ,;<>]+[.][^@ ,;<>]+') }} then {{ v }} end
{% endmacro %}
