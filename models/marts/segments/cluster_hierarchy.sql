{#- The Ward tree over the K-Means clusters: each cluster's parent segment at every level 2..k. -#}
with

fit as (
    select * from {{ ref('cluster_fit') }}
    where artifact = 'hierarchy'
      and model_version in (
          select model_version from {{ ref('cluster_model_history') }} where is_current
      )
),

final as (
    select
        model_version,
        cluster_id,
        level,
        parent_id,
        cast(value as {{ dbt.type_bigint() }}) as parent_fit_size
    from fit
)

select * from final
