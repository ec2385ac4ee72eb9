{#-
    Amounts arrive as text in two decimal conventions: `1,234.56` (dot decimal, comma thousands)
    and `1.234,56` (comma decimal, dotted thousands, European Excel exports). A value is read in
    three steps (docs/data_contract.md, "Amounts"):

      1. amount_text(amount_squeezed(expr)): the number text: upper-cased, blanks (also
         no-break and narrow no-break spaces) and apostrophe thousands separators removed, a
         currency symbol ($ € £ ¥) or a three-letter code before or after the number removed.
         amount_currency_mark(amount_squeezed(expr)) returns that mark as a currency code
         (€ EUR, £ GBP, a code as written; $ and ¥ name several currencies and give none).
      2. amount_evidence(text): what the value says about its convention on its own:
           plain      digits only (`1234`, `-5`)
           dot        only a dot-decimal reading is valid (`12.50`, `1,234.56`, `1,234,567`, `0.500`)
           comma      only a comma-decimal reading is valid (`12,50`, `1.234,56`, `1.234.567`)
           ambiguous  one separator followed by exactly three digits (`1,234`, `1.234`):
                      a thousands separator in one convention, a decimal point in the other
           exponent   scientific notation (`1e308`, `1.5E+3`)
           invalid    anything else (`twelve`, `NaN`, `inf`, `12.34.56`, `3 pcs`)
      3. parse_amount_text(text, evidence, convention): the value as a double. A value with its
         own evidence is read that way; an ambiguous one is read in the convention of its file
         and column (amount_convention, from the other values: `dot` or `comma` when every
         value with evidence agrees); without such evidence it stays null and the caller
         quarantines it as `ambiguous_amount`.

    Staging computes the text and the evidence once per row, the convention once per file, then
    parses (stg_shop__orders, stg_shop__order_items).
-#}

{#- the currency marks a number may carry before or after it -#}
{% macro _amount_mark_pattern() %}([A-Z]{3}|[$€£¥]){% endmacro %}

{#- amount_squeezed(expr): upper-cased, blanks (also no-break and narrow no-break spaces) and
    apostrophes removed. Compute it once per value in a CTE and pass that column to
    amount_text() and amount_currency_mark(). -#}
{% macro amount_squeezed(expr) -%}
    {{ regexp_replace_all("upper(trim(" ~ expr ~ "))", "[[:space:]\\x{00A0}\\x{202F}''’]", "") }}
{%- endmacro %}

{#- number_text(expr): amount_squeezed() without currency marks stripped (quantities and counts:
    `3 pcs` must stay invalid); null when blank -#}
{% macro number_text(expr) -%}
    nullif({{ amount_squeezed(expr) }}, '')
{%- endmacro %}

{#- a squeezed value made of digits, signs and separators only carries no currency mark -#}
{% macro _amount_is_bare(squeezed) -%}
    {{ regexp_full(squeezed, '[-+]?[0-9.,]*') }}
{%- endmacro %}

{% macro amount_text(squeezed) %}
    {%- set mark = _amount_mark_pattern() -%}
    {%- set stripped = regexp_replace_all(
        regexp_replace_all(squeezed, "^([-+]?)" ~ mark, "\\1"), mark ~ "$", "") -%}
    nullif(
        case
            when {{ _amount_is_bare(squeezed) }} then {{ squeezed }}
            {# only a remainder with digits is a number with a mark: `NAN`, `INF`, `TWELVE` stay as written #}
            when {{ regexp_contains(stripped, '[0-9]') }} then {{ stripped }}
            else {{ squeezed }}
        end,
        ''
    )
{% endmacro %}

{% macro amount_currency_mark(squeezed) %}
    {%- set mark = _amount_mark_pattern() -%}
    {%- set raw_mark = "coalesce(nullif(" ~ regexp_group(squeezed, "^[-+]?" ~ mark, 0) ~ ", ''), nullif("
        ~ regexp_group(squeezed, mark ~ "$", 0) ~ ", ''))" -%}
    case
        when {{ _amount_is_bare(squeezed) }} then null
        when not {{ regexp_contains(squeezed, '[0-9]') }} then null
        when {{ raw_mark }} like '%€%' then 'EUR'
        when {{ raw_mark }} like '%£%' then 'GBP'
        when {{ raw_mark }} like '%$%' or {{ raw_mark }} like '%¥%' then null
        else {{ regexp_replace_all(raw_mark, '[-+]', '') }}
    end
{% endmacro %}

{% macro amount_evidence(text) %}
    case
        when {{ text }} is null then null
        when {{ regexp_full(text, '[-+]?[0-9]+') }} then 'plain'
        when {{ regexp_full(text, '[-+]?[1-9][0-9]{0,2}[.,][0-9]{3}') }} then 'ambiguous'
        when {{ regexp_full(text, '[-+]?([1-9][0-9]{0,2}(,[0-9]{3})+|[0-9]+)?[.][0-9]+') }}
            or {{ regexp_full(text, '[-+]?[1-9][0-9]{0,2}(,[0-9]{3}){2,}') }} then 'dot'
        when {{ regexp_full(text, '[-+]?([1-9][0-9]{0,2}([.][0-9]{3})+|[0-9]+)?,[0-9]+') }}
            or {{ regexp_full(text, '[-+]?[1-9][0-9]{0,2}([.][0-9]{3}){2,}') }} then 'comma'
        when {{ regexp_full(text, '[-+]?[0-9]+([.][0-9]+)?E[-+]?[0-9]+') }} then 'exponent'
        else 'invalid'
    end
{% endmacro %}

{#-
    amount_convention(evidence_columns): an aggregate over the rows of one file: `dot` or
    `comma` when the values with evidence in the given columns all agree, `mixed` when they
    disagree, null when none has any.
-#}
{% macro amount_convention(evidence_columns) %}
    {%- set has_dot = [] -%}
    {%- set has_comma = [] -%}
    {%- for column in evidence_columns -%}
        {%- do has_dot.append("max(case when " ~ column ~ " = 'dot' then 1 else 0 end)") -%}
        {%- do has_comma.append("max(case when " ~ column ~ " = 'comma' then 1 else 0 end)") -%}
    {%- endfor -%}
    case
        when greatest({{ has_dot | join(', ') }}, 0) = 1 and greatest({{ has_comma | join(', ') }}, 0) = 1 then 'mixed'
        when greatest({{ has_dot | join(', ') }}, 0) = 1 then 'dot'
        when greatest({{ has_comma | join(', ') }}, 0) = 1 then 'comma'
    end
{% endmacro %}

{#- the reading a value gets: its own evidence, else (ambiguous) its file's convention -#}
{% macro amount_reading(evidence, convention) %}
    case
        when {{ evidence }} = 'ambiguous' and {{ convention }} in ('dot', 'comma') then {{ convention }}
        else {{ evidence }}
    end
{% endmacro %}

{% macro parse_amount_text(text, reading) %}
    case {{ reading }}
        when 'plain' then {{ try_cast(text, type_double()) }}
        when 'exponent' then {{ try_cast(text, type_double()) }}
        when 'dot' then {{ try_cast("replace(" ~ text ~ ", ',', '')", type_double()) }}
        when 'comma' then {{ try_cast("replace(replace(" ~ text ~ ", '.', ''), ',', '.')", type_double()) }}
    end
{% endmacro %}

{#-
    parse_amount(expr): text -> double for a value read on its own (no file context): plain
    numbers, scientific notation and values whose convention is unambiguous; null for ambiguous
    (`1,234`) and invalid values. Staging models use the three steps above instead.
-#}
{% macro parse_amount(expr) %}
    {%- set text = amount_text(amount_squeezed(expr)) -%}
    {{ parse_amount_text(text, amount_evidence(text)) }}
{% endmacro %}


{#-
    whole_number_value(text): a number_text() value -> double when it is a number written
    without scientific notation and without an ambiguous separator (`3`, `2.0`, `1,5`), else
    null; amount_as_integer() then keeps it only when it is whole (`1.5` is no quantity).
-#}
{% macro whole_number_value(text) %}
    {%- set evidence = amount_evidence(text) -%}
    case
        when ({{ evidence }}) in ('plain', 'dot', 'comma')
            then {{ parse_amount_text(text, evidence) }}
    end
{% endmacro %}


{#- parse_integer(expr): text -> integer through the amount parser; null when not a whole number. -#}
{% macro parse_integer(expr) %}
    {{ amount_as_integer(parse_amount(expr)) }}
{% endmacro %}


{#-
    amount_as_integer(amount): a parsed amount (double) -> integer; null when not a whole number.
    The amount expression is repeated four times: pass a column (parse the text once in an earlier
    CTE, as the staging models do), not parse_amount(...) itself, on large tables.
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
