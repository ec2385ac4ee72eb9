-- Every profile eligible for clustering (at least cluster_min_orders orders) has a cluster.
select profiles.person_id
from {{ ref('customer_profiles') }} as profiles
left join {{ ref('customer_clusters') }} as clusters
    on profiles.person_id = clusters.person_id
where profiles.order_count >= {{ var('cluster_min_orders', 1) }}
  and clusters.person_id is null
