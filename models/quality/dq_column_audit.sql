{#-
    Data-quality audit per source and column, over every staged row (quarantined rows included,
    duplicates not yet removed): how complete, how varied, how often out of range, how many
    outliers. One row per source and column of dq_sources() (key, compared columns, amounts).
      duplicate_key_count  key column only: rows whose key value already occurred (rows - distinct keys)
      out_of_range_count   rows breaking the column's rule in dq_sources(); for the source's
                           timestamp, values at or after the future cutoff; null = no rule
      outlier_count        amount columns only: values beyond var dq_outlier_iqr_k times the
                           interquartile range below Q1 or above Q3 (Tukey's fences)
-#}
{%- set k = var('dq_outlier_iqr_k') -%}
with

{% for s in dq_sources() %}
{%- set columns = [s.key] + s.compare -%}
{%- for a in s.amounts if a not in columns %}{% do columns.append(a) %}{% endfor -%}
{%- set cte = s.source_name ~ '_' ~ s.table -%}
{{ cte }}_rows as (
    select * from {{ ref(s.validated) }}
),

{#- Sources without amount columns need no fences; without them the rows CTE has
    one reader, so the database streams it instead of materialising all the source's rows -#}
{% if s.amounts %}
{{ cte }}_fences as (
    select
        {% for a in s.amounts %}
        {{ percentile_cont_agg(a, 0.25) }} as {{ a }}__q1,
        {{ percentile_cont_agg(a, 0.75) }} as {{ a }}__q3,
        {% endfor %}
        count(*) as n_rows
    from {{ cte }}_rows
),
{% endif %}

{{ cte }}_stats as (
    select
        count(*) as n_rows,
        {% for c in columns %}
        count({{ c }}) as {{ c }}__non_null,
        count(distinct {{ c }}) as {{ c }}__distinct,
        {%- if c in s.ranges %}
        sum(case when {{ s.ranges[c] }} then 1 else 0 end) as {{ c }}__out_of_range,
        {%- elif c == s.timestamp %}
        sum(case when {{ c }} >= {{ future_cutoff() }} then 1 else 0 end) as {{ c }}__out_of_range,
        {%- else %}
        cast(null as {{ dbt.type_bigint() }}) as {{ c }}__out_of_range,
        {%- endif %}
        {%- if c in s.amounts %}
        sum(case
            when {{ c }} < {{ cte }}_fences.{{ c }}__q1 - {{ k }} * ({{ cte }}_fences.{{ c }}__q3 - {{ cte }}_fences.{{ c }}__q1)
                or {{ c }} > {{ cte }}_fences.{{ c }}__q3 + {{ k }} * ({{ cte }}_fences.{{ c }}__q3 - {{ cte }}_fences.{{ c }}__q1)
                then 1 else 0
        end) as {{ c }}__outliers,
        {%- else %}
        cast(null as {{ dbt.type_bigint() }}) as {{ c }}__outliers,
        {%- endif %}
        {% endfor %}
        count(distinct {{ s.key }}) as key__distinct
    from {{ cte }}_rows
    {% if s.amounts -%}
    cross join {{ cte }}_fences
    {%- endif %}
),

{{ cte }}_columns as (
    {% for c in columns %}
    select
        '{{ s.source }}' as source,
        '{{ c }}' as column_name,
        {{ loop.index }} as column_position,
        {{ 'true' if c == s.key else 'false' }} as is_business_key,
        n_rows as row_count,
        n_rows - {{ c }}__non_null as null_count,
        {{ c }}__distinct as distinct_count,
        {% if c == s.key %}{{ c }}__non_null - key__distinct{% else %}cast(null as {{ dbt.type_bigint() }}){% endif %} as duplicate_key_count,
        {{ c }}__out_of_range as out_of_range_count,
        {{ c }}__outliers as outlier_count
    from {{ cte }}_stats
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

{% endfor %}
unioned as (
    {% for s in dq_sources() %}
    select * from {{ s.source_name }}_{{ s.table }}_columns
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

final as (
    select
        source,
        column_name,
        column_position,
        is_business_key,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(null_count as {{ dbt.type_bigint() }}) as null_count,
        case when row_count > 0 then {{ divide('null_count', 'row_count') }} end as null_rate,
        cast(distinct_count as {{ dbt.type_bigint() }}) as distinct_count,
        cast(duplicate_key_count as {{ dbt.type_bigint() }}) as duplicate_key_count,
        cast(out_of_range_count as {{ dbt.type_bigint() }}) as out_of_range_count,
        cast(outlier_count as {{ dbt.type_bigint() }}) as outlier_count,
        {{ as_of_date() }} as as_of_date
    from unioned
)

select * from final
