{#- Stability and quality figures of the segmentation, with thresholds and a status. -#}
with

fit as (
    {{ current_cluster_fit('validation') }}
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
