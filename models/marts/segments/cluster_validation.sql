{#- Stability and quality figures of the segmentation, with thresholds and a status. -#}
with

fit as (
    select * from {{ ref('cluster_fit') }}
    where artifact = 'validation'
      and model_version in (
          select model_version from {{ ref('cluster_model_history') }} where is_current
      )
),

final as (
    select
        model_version,
        metric,
        cluster_id,
        value,
        threshold,
        text_value as status
    from fit
)

select * from final
