{#-
    parse_amount(expr): text -> double, null when unparseable.
    Strips blanks, currency symbols and codes ($, €, £, USD, EUR, GBP) and thousands separators
    (`,`). A `.` is the decimal point (docs/data_contract.md).
-#}
{% macro parse_amount(expr) %}
    {%- set ns = namespace(cleaned="upper(trim(" ~ expr ~ "))") -%}
    {%- for token in ['$', '€', '£', 'USD', 'EUR', 'GBP', ',', ' '] -%}
        {%- set ns.cleaned = dbt.replace(ns.cleaned, "'" ~ token ~ "'", "''") -%}
    {%- endfor -%}
    {{ try_cast("nullif(" ~ ns.cleaned ~ ", '')", type_double()) }}
{% endmacro %}


{#- parse_integer(expr): text -> integer through the amount parser; null when not a whole number. -#}
{% macro parse_integer(expr) %}
    {{ amount_as_integer(parse_amount(expr)) }}
{% endmacro %}


{#-
    amount_as_integer(amount): a parsed amount (double) -> integer; null when not a whole number.
    The amount expression is repeated four times: pass a column (parse the text once in an earlier
    CTE, as the staging models do since issue 7), not parse_amount(...) itself, on large tables.
-#}
{% macro amount_as_integer(amount) %}
    case
        when {{ amount }} = floor({{ amount }})
            and abs({{ amount }}) < 2000000000
            then cast({{ amount }} as {{ dbt.type_int() }})
    end
{% endmacro %}


{#- type_double(): an 8-byte floating point type on every warehouse. -#}
{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'audience')()) }}
{% endmacro %}

{% macro default__type_double() %}{{ return('double precision') }}{% endmacro %}
{% macro duckdb__type_double() %}{{ return('double') }}{% endmacro %}
{% macro spark__type_double() %}{{ return('double') }}{% endmacro %}
{% macro bigquery__type_double() %}{{ return('float64') }}{% endmacro %}


{#-
    type_money(): exact decimal type for clean money amounts. Staging parses amounts as double
    (so absurd values like 1e308 can be flagged rather than overflow); the deduplicated order
    tables cast them to this type so sums are exact and do not depend on the order in which a
    parallel engine adds them: the same data always gives the same profiles, bit for bit.
-#}
{% macro type_money() %}
    {{ return(adapter.dispatch('type_money', 'audience')()) }}
{% endmacro %}

{% macro default__type_money() %}{{ return('decimal(20, 4)') }}{% endmacro %}
{% macro bigquery__type_money() %}{{ return('numeric') }}{% endmacro %}
