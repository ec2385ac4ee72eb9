{#-
    What each segment means: one row per segment of segment_membership's four kinds. Rule
    definitions are compiled from the rule config (the same compiler as rule_segment_members),
    trigger definitions are spelled out with the current `trigger_*` vars, cluster and
    predictive segments point to the models that define them. A rule that is inactive in this
    build (rule_segment_members_status: it uses a column with no information in this data) says
    so in is_active and inactive_reason.
-#}
-- depends_on: {{ ref('int_segment_rule_population') }}
{{ config(tags=['realtime', 'segments']) }}
{%- set population_model = 'int_segment_rule_population' -%}
{%- set compiled = compile_segment_rules(get_segment_rules(), segment_rule_columns(ref(population_model), population_model))
    if execute else {'rules': []} -%}
{%- set text_type = dbt.type_string() -%}
{%- set trigger_definitions = [
    ('abandoned_cart', 'Added to the cart but did not buy',
        'add_to_cart in a session, no purchase in it and no order by the person within '
        ~ var('trigger_abandoned_cart_hours') ~ ' h (nor since); live ' ~ var('trigger_active_days') ~ ' days'),
    ('browse_abandonment', 'Looked at products but put nothing in the cart',
        'product views in a session without add_to_cart or purchase, session idle '
        ~ var('trigger_browse_abandonment_wait_hours') ~ ' h, no order since; live ' ~ var('trigger_active_days') ~ ' days'),
    ('win_back', 'Stopped ordering',
        'last order ' ~ var('trigger_win_back_days') ~ ' or more days before the data clock'),
    ('high_value_browsing', 'A high-value customer is browsing right now',
        'product views in the last ' ~ var('trigger_high_value_browsing_days') ~ ' day(s) by a person with m_score >= '
        ~ var('trigger_high_value_min_m_score') ~ ' or CLV decile >= ' ~ var('trigger_high_value_min_clv_decile')),
] -%}
with

membership as (
    select * from {{ ref('segment_membership') }}
),

personas as (
    select * from {{ ref('segment_personas') }}
),

rule_status as (
    select * from {{ ref('rule_segment_members_status') }}
),

declared as (
    {% for rule in compiled['rules'] %}
    select
        'rule' as segment_type,
        '{{ rule["name"] }}' as segment_name,
        '{{ rule["description"] | replace("'", "''") }}' as description,
        '{{ (rule["definition"] ~ ((("; exclusive group " ~ rule["exclusive_group"] ~ ", priority " ~ rule["priority"]) if rule["exclusive_group"] else ""))) | replace("'", "''") }}' as definition
    union all
    {% endfor %}
    {% for name, description, definition in trigger_definitions %}
    select
        'trigger' as segment_type,
        '{{ name }}' as segment_name,
        '{{ description }}' as description,
        '{{ definition }}' as definition
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

clusters as (
    select distinct
        'cluster' as segment_type,
        membership.segment_name,
        coalesce(personas.description, 'K-Means segment (customer_clusters)') as description,
        {{ dbt.concat([
            "'K-Means cluster '", "coalesce(cast(personas.cluster_id as " ~ text_type ~ "), '?')",
            "': nearest centroid of the stored model (cluster_model) over var cluster_features'"
        ]) }} as definition
    from membership
    left join personas
        on membership.segment_name = personas.persona_name
    where membership.segment_type = 'cluster'
),

predictive as (
    select distinct
        'predictive' as segment_type,
        segment_name,
        'Predictive segment (predictive_segment_members)' as description,
        'thresholds on customer_scores (CLV decile, churn probability, P(alive)), vars predictive_*' as definition
    from membership
    where segment_type = 'predictive'
),

unioned as (
    select * from declared
    union all
    select * from clusters
    union all
    select * from predictive
),

final as (
    select
        cast(unioned.segment_type as {{ text_type }}) as segment_type,
        cast(unioned.segment_name as {{ text_type }}) as segment_name,
        cast(unioned.description as {{ text_type }}) as description,
        cast(unioned.definition as {{ text_type }}) as definition,
        coalesce(rule_status.is_active, true) as is_active,
        cast(rule_status.inactive_reason as {{ text_type }}) as inactive_reason
    from unioned
    left join rule_status
        on unioned.segment_type = 'rule'
        and unioned.segment_name = rule_status.segment_name
)

select * from final
