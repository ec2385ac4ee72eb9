{#-
    The K-Means model everybody is scored with: the current version of the registry cluster_fit
    (cluster_model_history.is_current), per cluster and feature the transform and the centroid.
-#}
with

fit as (
    {{ current_cluster_fit() }}
),

transform as (
    select
        feature,
        position,
        max(case when metric = 'use_log1p' then value end) = 1 as use_log1p,
        max(case when metric = 'mean' then value end) as feature_mean,
        max(case when metric = 'std' then value end) as feature_std,
        max(case when metric = 'median_fill' then value end) as median_fill
    from fit
    where artifact = 'transform'
    group by feature, position
),

centroids as (
    select
        model_version,
        cluster_id,
        feature,
        value as centroid_z
    from fit
    where artifact = 'centroid'
),

originals as (
    select
        cluster_id,
        feature,
        value as centroid_original
    from fit
    where artifact = 'centroid_original'
),

final as (
    select
        centroids.model_version,
        centroids.cluster_id,
        centroids.feature,
        transform.position,
        transform.use_log1p,
        transform.feature_mean,
        transform.feature_std,
        transform.median_fill,
        centroids.centroid_z,
        originals.centroid_original
    from centroids
    inner join transform on centroids.feature = transform.feature
    left join originals
        on centroids.cluster_id = originals.cluster_id
        and centroids.feature = originals.feature
)

select * from final
