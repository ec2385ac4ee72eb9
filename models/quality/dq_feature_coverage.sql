{#-
    Which numeric columns of customer_profiles carry information in this data, and why not when
    they do not: one row per column with its source, how much of it is filled, how many distinct
    values it takes and how dominant its most common value is. The definition of "informative"
    (macros/quality/feature_coverage.sql) is the one rule segments, clustering and churn features
    use to leave columns out.

    The numeric columns are read from the built customer_profiles, so a column added to the
    profile is covered without touching this model; its source comes from feature_sources().
-#}
{%- set columns = [] -%}
{%- if execute -%}
    {%- for col in adapter.get_columns_in_relation(ref('customer_profiles'))
        if _segment_rule_column_kind(col.dtype) in ['integer', 'number'] -%}
        {%- do columns.append(col.name | lower) -%}
    {%- endfor -%}
{%- endif -%}
{%- set sources = feature_sources() -%}
{%- set text_type = dbt.type_string() -%}
with

profiles as (
    select * from {{ ref('customer_profiles') }}
),

source_rows as (
    select source, clean_rows from {{ ref('dq_source_freshness') }}
),

{{ feature_values_ctes('profiles', columns) }}

column_sources as (
    {% for column in columns %}
    select
        '{{ column }}' as column_name,
        {{ loop.index }} as column_position,
        {% if column in sources -%}
        '{{ sources[column] }}' as source,
        '{{ feature_source_label(sources[column]) }}' as source_label
        {%- else -%}
        cast(null as {{ text_type }}) as source,
        cast(null as {{ text_type }}) as source_label
        {%- endif %}
    {{ 'union all' if not loop.last }}
    {% else %}
    select
        cast(null as {{ text_type }}) as column_name,
        0 as column_position,
        cast(null as {{ text_type }}) as source,
        cast(null as {{ text_type }}) as source_label
    where 1 = 0
    {% endfor %}
),

stats as (
    {% if columns %}
    {{ feature_stats_select(columns) }}
    {% else %}
    select
        cast(null as {{ text_type }}) as column_name,
        0 as n_rows, 0 as non_null_rows, 0 as distinct_values, 0 as top_value_rows,
        cast(null as {{ text_type }}) as top_value
    where 1 = 0
    {% endif %}
),

joined as (
    select
        column_sources.column_position,
        stats.*,
        column_sources.source,
        column_sources.source_label,
        source_rows.clean_rows as source_rows,
        case when column_sources.source is null then null else coalesce(source_rows.clean_rows, 0) > 0 end
            as source_has_rows
    from stats
    inner join column_sources
        on stats.column_name = column_sources.column_name
    left join source_rows
        on column_sources.source = source_rows.source
),

final as (
    select
        cast(column_name as {{ text_type }}) as column_name,
        cast(source as {{ text_type }}) as source,
        cast(source_rows as {{ dbt.type_bigint() }}) as source_rows,
        source_has_rows,
        cast(n_rows as {{ dbt.type_bigint() }}) as people,
        case when n_rows > 0 then {{ divide('non_null_rows', 'n_rows') }} end as non_null_share,
        cast(distinct_values as {{ dbt.type_bigint() }}) as distinct_values,
        cast(top_value as {{ text_type }}) as top_value,
        case when non_null_rows > 0 then {{ divide('top_value_rows', 'non_null_rows') }} end as top_value_share,
        {{ feature_uninformative_reason('source_has_rows', 'source_label') }} is null as is_informative,
        cast({{ feature_uninformative_reason('source_has_rows', 'source_label') }} as {{ text_type }}) as reason,
        column_position
    from joined
)

select * from final
