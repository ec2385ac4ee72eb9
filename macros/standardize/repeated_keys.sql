{#-
    Repeated keys, hash first.

    Finding the keys that occur more than once with `group by <key> having count(*) > 1` builds
    a hash aggregate with one string group per distinct key (~110M web events at 1M customers).
    On DuckDB the same question is first asked of a fixed-size 64-bit hash of the key: equal keys
    always have equal hashes, so every repeated key is among the repeated hashes ("candidate
    buckets"); two different keys can share a hash, so a candidate is confirmed on the key
    itself, over the few rows of the candidate buckets only. The results are exact. Other
    databases use the key itself as its bucket (the plain group by).
-#}

{#- key_bucket(columns): an expression equal for rows with equal values in `columns` (a list),
    cheap to group and join: DuckDB hash() (64-bit); elsewhere the column itself (one column)
    or a hash of the null-safe text of the columns. -#}
{% macro key_bucket(columns) %}
    {{- return(adapter.dispatch('key_bucket')(columns)) -}}
{% endmacro %}

{% macro default__key_bucket(columns) %}
    {%- if columns | length == 1 -%}
        {{- columns[0] -}}
    {%- else -%}
        {{- dbt.hash(version_fingerprint(columns)) -}}
    {%- endif -%}
{% endmacro %}

{% macro duckdb__key_bucket(columns) %}
    {{- 'hash(' ~ columns | join(', ') ~ ')' -}}
{% endmacro %}


{#- repeated_key_buckets(relation, columns, where): a select of the buckets (column
    `key_bucket`) that occur more than once among the rows of `relation` meeting `where`. A
    superset of the repeated keys' buckets: callers confirm on the key. -#}
{% macro repeated_key_buckets(relation, columns, where='1 = 1') %}
    select {{ key_bucket(columns) }} as key_bucket
    from {{ relation }}
    where {{ where }}
    group by {{ key_bucket(columns) }}
    having count(*) > 1
{%- endmacro %}


{#- repeated_keys(relation, columns, where): a select of the value combinations of `columns`
    that occur more than once among the rows of `relation` meeting `where`, with their row
    count `n_rows`. Exact on every database (nulls form a group, as in a plain group by). -#}
{% macro repeated_keys(relation, columns, where='1 = 1') %}
    {{- return(adapter.dispatch('repeated_keys')(relation, columns, where)) -}}
{% endmacro %}

{% macro default__repeated_keys(relation, columns, where) %}
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from {{ relation }}
    where {{ where }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{%- endmacro %}

{% macro duckdb__repeated_keys(relation, columns, where) %}
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from {{ relation }}
    where ({{ where }})
        and {{ key_bucket(columns) }} in (
            {{ repeated_key_buckets(relation, columns, where) | indent(12) }}
        )
    group by {{ columns | join(', ') }}
    having count(*) > 1
{%- endmacro %}
