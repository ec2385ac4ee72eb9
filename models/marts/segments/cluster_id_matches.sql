{#-
    How every cluster id of every stored version relates to the version fitted before it:
    matched (same group, same id), new (no stored cluster close enough: a new id) or vanished
    (a stored cluster nothing matched), with the centroid distance and member overlap.
-#}
with

fit as (
    select * from {{ ref('cluster_fit') }}
    where artifact = 'matching' and cluster_id is not null
),

history as (
    select * from {{ ref('cluster_model_history') }}
),

pivoted as (
    select
        model_version,
        cluster_id,
        max(case when metric = 'status' then text_value end) as match_status,
        cast(max(case when metric = 'fit_cluster_id' then value end) as integer) as fit_cluster_id,
        max(case when metric = 'centroid_distance' then value end) as centroid_distance,
        max(case when metric = 'member_jaccard' then value end) as member_jaccard
    from fit
    group by model_version, cluster_id
),

final as (
    select
        pivoted.model_version,
        pivoted.cluster_id,
        history.previous_model_version,
        pivoted.match_status,
        pivoted.fit_cluster_id,
        pivoted.centroid_distance,
        pivoted.member_jaccard
    from pivoted
    inner join history on pivoted.model_version = history.model_version
)

select * from final
