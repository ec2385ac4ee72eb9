{#-
    One row per declared rule: whether it is active in this build and, when not, why. A rule is
    inactive when it is disabled in its config, or when a column its conditions use carries no
    information in this data (feature_uninformative_reason over the rule population, the
    definition of dq_feature_coverage): such a rule matches nobody in rule_segment_members
    instead of matching everyone or no one by accident. The reason names each such column with
    why, using the source wording of dq_feature_coverage when the column's source has no rows
    (`sessions_90d: no web events`).
-#}
{%- set population_model = 'int_segment_rule_population' -%}
{%- set rules = get_segment_rules() -%}
{%- set compiled = compile_segment_rules(rules, segment_rule_columns(ref(population_model), population_model))
    if execute else {'rules': [], 'thresholds': []} -%}
{%- set used_columns = segment_rules_used_columns(compiled) -%}
{%- set enabled = compiled['rules'] | map(attribute='name') | list -%}
{%- set text_type = dbt.type_string() -%}
with

population as (
    select * from {{ ref(population_model) }}
),

members as (
    select segment_name, count(*) as members
    from {{ ref('rule_segment_members') }}
    group by segment_name
),

coverage as (
    select column_name, source_has_rows, reason
    from {{ ref('dq_feature_coverage') }}
),

{{ feature_values_ctes('population', used_columns) }}

column_reasons as (
    {% if used_columns -%}
    select
        column_stats.column_name,
        {#- the source wording when the source is empty, else what the values show -#}
        case
            when coverage.source_has_rows = false then coverage.reason
            else {{ feature_uninformative_reason() }}
        end as reason
    from ({{ feature_stats_select(used_columns) }}) as column_stats
    left join coverage
        on column_stats.column_name = coverage.column_name
    {%- else -%}
    select cast(null as {{ text_type }}) as column_name, cast(null as {{ text_type }}) as reason
    where 1 = 0
    {%- endif %}
),

declared as (
    {% for rule in rules %}
    {%- set name = rule['name'] -%}
    {%- set c = (compiled['rules'] | selectattr('name', 'equalto', name) | list) -%}
    select
        '{{ name }}' as segment_name,
        {{ loop.index }} as rule_order,
        {{ 'true' if name in enabled else 'false' }} as is_enabled,
        '{{ (c[0]['columns'] | join(', ')) if c else '' }}' as columns_used
    {{ 'union all' if not loop.last }}
    {% else %}
    select
        cast(null as {{ text_type }}) as segment_name,
        0 as rule_order,
        false as is_enabled,
        cast(null as {{ text_type }}) as columns_used
    where 1 = 0
    {% endfor %}
),

rule_columns as (
    {% for rule in compiled['rules'] %}
    {% for column in rule['columns'] %}
    select '{{ rule["name"] }}' as segment_name, '{{ column }}' as column_name, {{ loop.index }} as column_order
    {{ 'union all' if not loop.last }}
    {% endfor %}
    {{ 'union all' if not loop.last }}
    {% else %}
    select
        cast(null as {{ text_type }}) as segment_name,
        cast(null as {{ text_type }}) as column_name,
        0 as column_order
    where 1 = 0
    {% endfor %}
),

uninformative as (
    select
        rule_columns.segment_name,
        count(*) as uninformative_columns,
        {{ dbt.listagg(dbt.concat(['rule_columns.column_name', "': '", 'column_reasons.reason']), "'; '", 'order by rule_columns.column_order') }}
            as reasons
    from rule_columns
    inner join column_reasons
        on rule_columns.column_name = column_reasons.column_name
    where column_reasons.reason is not null
    group by rule_columns.segment_name
),

final as (
    select
        cast(declared.segment_name as {{ text_type }}) as segment_name,
        declared.rule_order,
        declared.is_enabled,
        declared.is_enabled and uninformative.segment_name is null as is_active,
        cast(case
            when not declared.is_enabled then 'disabled in the rule config'
            when uninformative.segment_name is not null
                then {{ dbt.concat(["'uses columns with no information in this data: '", 'uninformative.reasons']) }}
        end as {{ text_type }}) as inactive_reason,
        cast(nullif(declared.columns_used, '') as {{ text_type }}) as columns_used,
        cast(coalesce(members.members, 0) as {{ dbt.type_bigint() }}) as members
    from declared
    left join uninformative
        on declared.segment_name = uninformative.segment_name
    left join members
        on declared.segment_name = members.segment_name
)

select * from final
