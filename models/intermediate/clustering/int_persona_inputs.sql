{#- Clustered people with the columns personas are described by: features, revenue, favourite category. -#}
with

clusters as (
    select * from {{ ref('customer_clusters') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

final as (
    select
        clusters.person_id,
        clusters.cluster_id,
        clusters.model_version,
        {%- set columns = var('cluster_features') + ['total_revenue', 'recency_days', 'order_count', 'avg_order_value', 'tenure_days', 'favourite_category'] %}
        {%- for column in columns | unique %}
        profiles.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from clusters
    inner join profiles on clusters.person_id = profiles.person_id
)

select * from final
