{#- The Ward tree over the K-Means clusters: each cluster's parent segment at every level 2..k. -#}
with

fit as (
    {{ current_cluster_fit('hierarchy') }}
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
