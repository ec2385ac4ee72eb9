{#-
    Rule segments: who matches each rule declared in rule_segment_members.yml (config.meta
    .segment_rules; var `segment_rules` replaces them). The rules are compiled to SQL by
    compile_segment_rules (macros/rules/segment_rules.sql): percentile thresholds are computed
    once over the whole population, each rule becomes one select, and within an exclusive group
    a person keeps only the matching rule with the lowest priority number (ties: the rule listed
    first).

    A rule that uses a column with no information in this data (feature_uninformative_reason,
    the definition of dq_feature_coverage) is inactive and matches nobody;
    rule_segment_members_status says why.
-#}
{%- set population_model = 'int_segment_rule_population' -%}
{%- set rules = get_segment_rules() -%}
{%- set compiled = compile_segment_rules(rules, segment_rule_columns(ref(population_model), population_model))
    if execute else {'rules': [], 'thresholds': []} -%}
{%- set used_columns = segment_rules_used_columns(compiled) -%}
with

population as (
    select * from {{ ref(population_model) }}
),

thresholds as (
    select
        {% for threshold in compiled['thresholds'] -%}
        {{ percentile_cont_agg('population.' ~ adapter.quote(threshold['column']), threshold['fraction']) }} as {{ threshold['alias'] }},
        {% endfor -%}
        count(*) as population_size
    from population
),

{{ feature_values_ctes('population', used_columns) }}

{# the columns the rules use that carry no information in this population -#}
uninformative_columns as (
    {% if used_columns -%}
    select column_name
    from ({{ feature_stats_select(used_columns) }}) as column_stats
    where {{ feature_uninformative_reason() }} is not null
    {%- else -%}
    select cast(null as {{ dbt.type_string() }}) as column_name where 1 = 0
    {%- endif %}
),

matches as (
    {% for rule in compiled['rules'] %}
    select
        population.person_id,
        '{{ rule["name"] }}' as segment_name,
        {% if rule['exclusive_group'] -%}
        '{{ rule["exclusive_group"] }}'
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as exclusive_group,
        '{{ rule["group_key"] }}' as group_key,
        {{ rule['priority'] }} as rule_priority,
        {{ rule['order'] }} as rule_order,
        {{ dbt.concat(["'" ~ rule['description'] | replace("'", "''") ~ ": '", rule['reason_sql']]) }} as reason
    from population
    cross join thresholds
    where {{ rule['sql'] }}
        and not exists (
            select 1 from uninformative_columns
            where uninformative_columns.column_name in ('{{ rule["columns"] | join("', '") }}')
        )
    {{ 'union all' if not loop.last }}
    {% else %}
    {#- no enabled rule: an empty relation of the same shape -#}
    select
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(null as {{ dbt.type_string() }}) as segment_name,
        cast(null as {{ dbt.type_string() }}) as exclusive_group,
        cast(null as {{ dbt.type_string() }}) as group_key,
        0 as rule_priority,
        0 as rule_order,
        cast(null as {{ dbt.type_string() }}) as reason
    from thresholds
    where 1 = 0
    {% endfor %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_id, group_key
            order by rule_priority, rule_order
        ) as group_rank
    from matches
),

final as (
    select
        person_id,
        segment_name,
        exclusive_group,
        rule_priority,
        reason,
        {{ as_of_date() }} as as_of_date
    from ranked
    where group_rank = 1
)

select * from final
