{#-
    parse_timestamp(expr, date_order=none): text -> timestamp (UTC, no time zone), null when
    unparseable or ambiguous.

    Accepts ISO 8601 (with optional T and fraction), YYYY/MM/DD, DD.MM.YYYY, slashed dates
    (see below), DD-Mon-YYYY, each with an optional HH:MM[:SS] time, and Unix epoch seconds
    (9-10 digits). A time followed by a zone designator (`Z`, `UTC`, `GMT`, `+05:00`, `-0300`,
    `+05`, with or without a space before it) is local time at that offset and is converted to
    UTC by subtracting the offset; an offset beyond ±14:59 makes the value unparseable. This is
    also how zone-aware Parquet timestamps arrive: landing casts them to text with their offset,
    so the result does not depend on the machine's time zone.

    Slashed dates `A/B/YYYY`: A > 12 can only be DD/MM and B > 12 only MM/DD, so those rows read
    as what they must be; A = B reads either way. When both parts are 12 or less the reading
    comes from `date_order`, a SQL expression giving 'dmy' or 'mdy' (file_date_order_ctes(): the
    var `date_order`, or the order the file's unambiguous rows show); when it is null the value is
    ambiguous and parses to null (is_ambiguous_date() says so, staging quarantines the row as
    `ambiguous_date`). Never a guess.

    The default implementation (other warehouses) reads ISO 8601 only, through dbt.safe_cast.
-#}
{% macro parse_timestamp(expr, date_order=none) %}
    {{ return(adapter.dispatch('parse_timestamp', 'audience')(expr, date_order)) }}
{% endmacro %}

{% macro default__parse_timestamp(expr, date_order=none) %}
    {{ try_cast("nullif(trim(" ~ expr ~ "), '')", api.Column.translate_type('timestamp')) }}
{% endmacro %}

{#- the zone designator at the end of a value with a time, and the same for stripping it -#}
{% macro _zone_pattern() -%}
    [0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?[ ]?(Z|z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?)$
{%- endmacro %}

{% macro _zone_suffix_pattern() -%}
    [ ]?(Z|z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?)$
{%- endmacro %}

{#- slashed date at the start of a value: day-or-month / day-or-month / year -#}
{% macro _slashed_pattern() -%}
    ^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})
{%- endmacro %}

{#- _slashed_part(t, n): part n (1 or 2) of a slashed date as an integer, null when t is no slashed date -#}
{% macro _slashed_part(t, n) -%}
    try_cast({{ regexp_group(t, _slashed_pattern(), n) }} as integer)
{%- endmacro %}

{% macro duckdb__parse_timestamp(expr, date_order=none) %}
    {%- set t = 'trim(' ~ expr ~ ')' -%}
    {%- set offset = "regexp_extract(" ~ t ~ ", '(Z|z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?)$', 1)" -%}
    {%- set offset_digits = "replace(substr(" ~ offset ~ ", 2), ':', '')" -%}
    {#- The common case first: a value shaped exactly `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or
        `YYYY-MM-DDTHH:MM:SS` that ends in a digit carries no zone and is not epoch seconds:
        one `like` and one cast. Anything else goes through the full cascade. -#}
    case
        when ({{ expr }} like '____-__-__ __:__:__' or {{ expr }} like '____-__-__T__:__:__'
                or {{ expr }} like '____-__-__')
            and right({{ expr }}, 1) between '0' and '9'
            and try_cast({{ expr }} as timestamp) is not null
            then try_cast({{ expr }} as timestamp)
        when regexp_full_match({{ t }}, '-?[0-9]{9,10}')
            then cast(to_timestamp(cast({{ t }} as bigint)) at time zone 'UTC' as timestamp)
        when regexp_matches({{ t }}, '{{ _zone_pattern() }}')
            then case
                when {{ offset }} in ('Z', 'z', 'UTC', 'GMT')
                    then {{ _local_timestamp("regexp_replace(" ~ t ~ ", '" ~ _zone_suffix_pattern() ~ "', '')", date_order) }}
                when try_cast(left({{ offset_digits }}, 2) as integer) <= 14
                    and (length({{ offset_digits }}) = 2 or try_cast(right({{ offset_digits }}, 2) as integer) < 60)
                    then {{ _local_timestamp("regexp_replace(" ~ t ~ ", '" ~ _zone_suffix_pattern() ~ "', '')", date_order) }}
                        - to_minutes(
                            (case when left({{ offset }}, 1) = '-' then -1 else 1 end)
                            * (try_cast(left({{ offset_digits }}, 2) as integer) * 60
                               + case when length({{ offset_digits }}) = 4
                                    then try_cast(right({{ offset_digits }}, 2) as integer) else 0 end)
                        )
            end
        else {{ _local_timestamp(t, date_order) }}
    end
{% endmacro %}

{#- a trimmed value without zone designator -> timestamp, as written (no zone conversion) -#}
{% macro _local_timestamp(t, date_order) %}
    {%- set formats = [
        '%Y/%m/%d', '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M',
        '%d.%m.%Y', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M',
        '%d-%b-%Y', '%d-%b-%Y %H:%M:%S', '%d %b %Y', '%b %d %Y', '%Y%m%d'
    ] -%}
    {%- set times = ['', ' %H:%M:%S', ' %H:%M', 'T%H:%M:%S', 'T%H:%M'] -%}
    {%- set first = "try_cast(regexp_extract(" ~ t ~ ", '" ~ _slashed_pattern() ~ "', 1) as integer)" -%}
    {%- set second = "try_cast(regexp_extract(" ~ t ~ ", '" ~ _slashed_pattern() ~ "', 2) as integer)" -%}
    case
        when regexp_matches({{ t }}, '{{ _slashed_pattern() }}')
            then case
                when {{ first }} > 12
                    or ({{ first }} <> {{ second }} and {{ second }} <= 12
                        and {{ date_order if date_order else 'cast(null as varchar)' }} = 'dmy')
                    then try_strptime({{ t }}, [{% for x in times %}'%d/%m/%Y{{ x }}'{{ ',' if not loop.last }}{% endfor %}])
                when {{ second }} > 12
                    or {{ first }} = {{ second }}
                    or {{ date_order if date_order else 'cast(null as varchar)' }} = 'mdy'
                    then try_strptime({{ t }}, [{% for x in times %}'%m/%d/%Y{{ x }}'{{ ',' if not loop.last }}{% endfor %}])
            end
        else coalesce(
            try_cast({{ t }} as timestamp),
            try_strptime({{ t }}, [{% for f in formats %}'{{ f }}'{{ ',' if not loop.last }}{% endfor %}])
        )
    end
{% endmacro %}


{#-
    is_ambiguous_date(expr, date_order): true when expr is a slashed date whose two parts are
    different and both 12 or less while date_order (see parse_timestamp) is null: it could be
    DD/MM or MM/DD and nothing says which.
-#}
{% macro is_ambiguous_date(expr, date_order) %}
    {%- set t = 'trim(' ~ expr ~ ')' -%}
    {%- set first = _slashed_part(t, 1) -%}
    {%- set second = _slashed_part(t, 2) -%}
    coalesce(
        {{ expr }} like '%/%'
        and {{ regexp_contains(t, _slashed_pattern()) }}
        and {{ first }} between 1 and 12
        and {{ second }} between 1 and 12
        and {{ first }} <> {{ second }}
        and ({{ date_order }}) is null,
        false
    )
{% endmacro %}


{#-
    file_date_order_ctes(source_cte, columns): two CTEs that give every row of `source_cte` the
    day/month order of slashed dates in its file, `_date_order` ('dmy', 'mdy' or null), for
    parse_timestamp's date_order; the rows come out as the CTE `<source_cte>_dated`. The var
    `date_order` ('dmy' or 'mdy') decides for every file; with 'auto' (the default) each file's
    unambiguous slashed values decide: some read only as DD/MM (first part over 12) and none only
    as MM/DD gives 'dmy', the reverse 'mdy'; none, or both kinds in one file, gives null (its
    ambiguous values are then quarantined). All the given columns of a file count together: one
    export, one locale. Only slashed values are aggregated, per file, and joined back: a file
    without any costs one `like` per value.
-#}
{% macro file_date_order_ctes(source_cte, columns) %}
    {%- set order = var('date_order', 'auto') -%}
    {%- if order in ('dmy', 'mdy') -%}
{{ source_cte }}_dated as (
    select *, cast('{{ order }}' as {{ dbt.type_string() }}) as _date_order
    from {{ source_cte }}
)
    {%- elif order != 'auto' -%}
        {{ exceptions.raise_compiler_error("var date_order must be 'auto', 'dmy' or 'mdy', not '" ~ order ~ "'") }}
    {%- else -%}
        {%- set dmy = [] -%}
        {%- set mdy = [] -%}
        {%- set slashed = [] -%}
        {%- for c in columns -%}
            {%- set t = 'trim(' ~ c ~ ')' -%}
            {%- set first = _slashed_part(t, 1) -%}
            {%- set second = _slashed_part(t, 2) -%}
            {%- do slashed.append(c ~ " like '%/%'") -%}
            {%- do dmy.append("case when " ~ first ~ " between 13 and 31 and " ~ second ~ " between 1 and 12 then 1 else 0 end") -%}
            {%- do mdy.append("case when " ~ second ~ " between 13 and 31 and " ~ first ~ " between 1 and 12 then 1 else 0 end") -%}
        {%- endfor -%}
{{ source_cte }}_date_evidence as (
    select
        _source_file,
        sum({{ dmy | join(' + ') }}) as dmy_rows,
        sum({{ mdy | join(' + ') }}) as mdy_rows
    from {{ source_cte }}
    where {{ slashed | join(' or ') }}
    group by _source_file
),

{{ source_cte }}_dated as (
    select
        {{ source_cte }}.*,
        cast(case
            when evidence.dmy_rows > 0 and evidence.mdy_rows = 0 then 'dmy'
            when evidence.mdy_rows > 0 and evidence.dmy_rows = 0 then 'mdy'
        end as {{ dbt.type_string() }}) as _date_order
    from {{ source_cte }}
    left join {{ source_cte }}_date_evidence as evidence
        on {{ source_cte }}._source_file = evidence._source_file
)
    {%- endif -%}
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


{#- parse_date(expr, date_order=none): text -> date, via parse_timestamp. -#}
{% macro parse_date(expr, date_order=none) %}
    cast({{ parse_timestamp(expr, date_order) }} as date)
{% endmacro %}
