-- Every clustered person has exactly one parent segment at each hierarchy level 2..k.
with

chosen as (
    select k from {{ ref('cluster_k_selection') }} where is_chosen
),

levels as (
    select
        clusters.person_id,
        count(levels.level) as n_levels,
        count(distinct levels.level) as n_distinct_levels
    from {{ ref('customer_clusters') }} as clusters
    left join {{ ref('customer_cluster_levels') }} as levels
        on clusters.person_id = levels.person_id
    group by clusters.person_id
)

select levels.*
from levels
cross join chosen
where levels.n_levels != chosen.k - 1
   or levels.n_distinct_levels != chosen.k - 1
