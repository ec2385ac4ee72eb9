{#- Every clustered person's parent segment at each hierarchy level (2..k). -#}
with

clusters as (
    select * from {{ ref('customer_clusters') }}
),

hierarchy as (
    select * from {{ ref('cluster_hierarchy') }}
),

final as (
    select
        clusters.person_id,
        hierarchy.level,
        hierarchy.parent_id,
        clusters.cluster_id
    from clusters
    inner join hierarchy
        on clusters.cluster_id = hierarchy.cluster_id
        and clusters.model_version = hierarchy.model_version
)

select * from final
