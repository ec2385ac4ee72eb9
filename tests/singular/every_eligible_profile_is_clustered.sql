-- Every profile eligible for clustering (at least cluster_min_orders orders) has a cluster,
-- unless the current model version was not fitted (too little data: cluster_model_history
-- says why, and the warning test cluster_fit_status_is_fitted reports it).
select profiles.person_id
from {{ ref('customer_profiles') }} as profiles
left join {{ ref('customer_clusters') }} as clusters
    on profiles.person_id = clusters.person_id
where profiles.order_count >= {{ var('cluster_min_orders', 1) }}
  and clusters.person_id is null
  and not exists (
      select 1 from {{ ref('cluster_model_history') }}
      where is_current and fit_status = 'not_fitted'
  )
