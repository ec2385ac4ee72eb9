{#-
    version_fingerprint(columns): one text per row that is equal exactly when all the given
    columns are equal (nulls included), for counting distinct versions of a business key.
-#}
{% macro version_fingerprint(columns) %}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("coalesce(" ~ dbt.safe_cast(c, dbt.type_string()) ~ ", '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{% endmacro %}


{#-
    differing_columns_list(columns, alias): aggregate expression listing, comma-separated, the
    columns that take more than one value within the group (columns must already be
    null-coalesced text, as in dq_duplicates). Null when none differ.
    A column without nulls takes more than one value exactly when its min and max
    differ; min/max keep one value per group instead of a distinct set per column (the
    count(distinct) form held a hash table per compared column over every repeated row).
-#}
{% macro differing_columns_list(columns, alias) %}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("case when min(" ~ alias ~ "." ~ c ~ ") <> max(" ~ alias ~ "." ~ c ~ ") then ', " ~ c ~ "' else '' end") -%}
    {%- endfor -%}
    {%- set joined = dbt.concat(parts) -%}
    case
        when {{ dbt.length(joined) }} > 2 then {{ dbt.right(joined, dbt.length(joined) ~ ' - 2') }}
    end
{% endmacro %}
