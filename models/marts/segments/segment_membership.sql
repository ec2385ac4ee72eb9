{#-
    Every segment a person is in right now, one row per person and segment, from the four
    kinds of segments:
      rule        rule_segment_members         (rules in rule_segment_members.yml)
      cluster     customer_clusters            (K-Means segment, named by segment_personas)
      predictive  predictive_segment_members   (CLV / churn thresholds)
      trigger     trigger_segment_members      (abandoned cart, browse abandonment, ...)
    The snapshot segment_membership_snapshot keeps its history; segment_transitions turns that
    into entered / exited rows.
-#}
{{ config(tags=['realtime', 'segments']) }}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
{%- set text_type = dbt.type_string() -%}
with

rule_members as (
    select * from {{ ref('rule_segment_members') }}
),

cluster_members as (
    select * from {{ ref('customer_clusters') }}
),

personas as (
    select * from {{ ref('segment_personas') }}
),

predictive_members as (
    select * from {{ ref('predictive_segment_members') }}
),

trigger_members as (
    select * from {{ ref('trigger_segment_members') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

unioned as (
    select
        rule_members.person_id,
        'rule' as segment_type,
        rule_members.segment_name,
        rule_members.reason,
        cast(as_of.as_of_date as {{ ts_type }}) as assigned_at
    from rule_members
    cross join as_of

    union all

    select
        cluster_members.person_id,
        'cluster' as segment_type,
        coalesce(
            personas.persona_name,
            {{ dbt.concat(["'cluster_'", "cast(cluster_members.cluster_id as " ~ text_type ~ ")"]) }}
        ) as segment_name,
        {{ dbt.concat([
            "'nearest K-Means centroid: cluster '", "cast(cluster_members.cluster_id as " ~ text_type ~ ")",
            "coalesce(' (' || personas.description || ')', '')",
            "'; '", "cluster_members.explanation"
        ]) }} as reason,
        cast(as_of.as_of_date as {{ ts_type }}) as assigned_at
    from cluster_members
    cross join as_of
    left join personas
        on cluster_members.cluster_id = personas.cluster_id
        and cluster_members.model_version = personas.model_version

    union all

    select
        predictive_members.person_id,
        'predictive' as segment_type,
        predictive_members.segment_name,
        predictive_members.reason,
        cast(predictive_members.assigned_at as {{ ts_type }}) as assigned_at
    from predictive_members

    union all

    select
        trigger_members.person_id,
        'trigger' as segment_type,
        trigger_members.segment_name,
        trigger_members.reason,
        cast(trigger_members.triggered_at as {{ ts_type }}) as assigned_at
    from trigger_members
),

final as (
    select
        cast({{ dbt.hash(dbt.concat(['unioned.person_id', "'|'", 'unioned.segment_type', "'|'", 'unioned.segment_name'])) }}
            as {{ text_type }}) as membership_id,
        cast(unioned.person_id as {{ text_type }}) as person_id,
        cast(unioned.segment_type as {{ text_type }}) as segment_type,
        cast(unioned.segment_name as {{ text_type }}) as segment_name,
        cast(unioned.reason as {{ text_type }}) as reason,
        unioned.assigned_at,
        cast(as_of.as_of_date as date) as as_of_date
    from unioned
    cross join as_of
)

select * from final
