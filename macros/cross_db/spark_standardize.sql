{#-
    Spark implementations of the standardization macros (dispatched from macros/standardize/),
    with the same results as the DuckDB ones: the staging unit tests run on both engines.

    Spark 4 runs with ANSI mode on, where a plain cast of a bad value fails the query, so every
    parse goes through `try_cast` / `try_to_timestamp`, which yield null. Timestamps are Spark's
    TIMESTAMP type read in the session time zone: the profile sets `spark.sql.session.timeZone`
    to UTC (docs/engines.md), so they hold the same UTC wall-clock values as on DuckDB.
-#}

{% macro spark__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}


{#- Same formats and order as duckdb__parse_timestamp; Spark's cast also reads bare `2024` or
    `2024-03` as a timestamp, which DuckDB refuses, so only ISO-shaped text reaches the cast. A
    one-letter pattern field (`d`, `M`, `H`) takes one or two digits, as DuckDB's %d/%m/%H do;
    month names match in any case, as DuckDB's %b does. -#}
{% macro spark__parse_timestamp(expr, date_order=none) %}
    {%- set formats = [
        'yyyy/M/d', 'yyyy/M/d H:mm:ss', 'yyyy/M/d H:mm',
        'd.M.yyyy', 'd.M.yyyy H:mm:ss', 'd.M.yyyy H:mm',
        'M/d/yyyy', 'M/d/yyyy H:mm:ss', 'M/d/yyyy H:mm',
        'd/M/yyyy', 'd/M/yyyy H:mm:ss', 'd/M/yyyy H:mm',
        'd-MMM-yyyy', 'd-MMM-yyyy H:mm:ss', 'd MMM yyyy', 'MMM d yyyy', 'yyyyMMdd'
    ] -%}
    {%- set v = 'trim(' ~ expr ~ ')' -%}
    case
        when {{ v }} rlike '^-?[0-9]{9,10}$'
            then timestamp_seconds(cast({{ v }} as bigint))
        when {{ v }} rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$'
            then try_cast({{ v }} as timestamp)
        else coalesce(
            {%- for f in formats %}
            try_to_timestamp({{ v }}, '{{ f }}'){{ ',' if not loop.last }}
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
