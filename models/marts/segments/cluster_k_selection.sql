{#- One row per candidate k: the figures the choice of k was made on (see cluster_fit). -#}
with

fit as (
    {{ current_cluster_fit('k_selection') }}
),

final as (
    select
        model_version,
        k,
        max(case when metric = 'wcss' then value end) as wcss,
        max(case when metric = 'silhouette' then value end) as silhouette,
        max(case when metric = 'calinski_harabasz' then value end) as calinski_harabasz,
        max(case when metric = 'davies_bouldin' then value end) as davies_bouldin,
        max(case when metric = 'min_cluster_share' then value end) as min_cluster_share,
        max(case when metric = 'max_cluster_share' then value end) as max_cluster_share,
        max(case when metric = 'meets_contracts' then value end) = 1 as meets_contracts,
        max(case when metric = 'is_knee' then value end) = 1 as is_knee,
        max(case when metric = 'chosen' then value end) = 1 as is_chosen
    from fit
    group by model_version, k
)

select * from final
