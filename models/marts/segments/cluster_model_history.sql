{#-
    One row per stored version of the K-Means model (cluster_fit is its registry), with its
    fit_status (fitted / fallback / not_fitted) and why, and how the version relates to the one
    before it. `is_current` marks the version everything is scored
    with: the var `cluster_model_version` when set, else the latest fit (highest fit_sequence).
-#}
with

fit as (
    select * from {{ ref('cluster_fit') }}
),

runs as (
    select
        model_version,
        max(k) as k,
        max(case when metric = 'fit_sequence' then value end) as fit_sequence,
        max(case when metric = 'fit_mean_squared_distance' then value end) as fit_mean_squared_distance,
        -- versions stored before fit_status existed were fitted models
        coalesce(max(case when metric = 'fit_status' then text_value end), 'fitted') as fit_status,
        coalesce(
            max(case when metric = 'status_reason' then text_value end),
            max(case when metric = 'k_reason' then text_value end)
        ) as status_reason
    from fit
    where artifact = 'run'
    group by model_version
),

matching as (
    select
        model_version,
        max(case when metric = 'previous_model_version' then text_value end) as previous_model_version,
        max(case when metric = 'ari_vs_previous' then value end) as ari_vs_previous,
        max(case when metric = 'share_changed_vs_previous' then value end) as share_changed_vs_previous,
        sum(case when metric = 'status' and text_value = 'matched' then 1 else 0 end) as n_matched_clusters,
        sum(case when metric = 'status' and text_value = 'new' then 1 else 0 end) as n_new_clusters,
        sum(case when metric = 'status' and text_value = 'vanished' then 1 else 0 end) as n_vanished_clusters
    from fit
    where artifact = 'matching'
    group by model_version
),

latest as (
    select max(fit_sequence) as fit_sequence
    from runs
),

final as (
    select
        runs.model_version,
        cast(runs.fit_sequence as integer) as fit_sequence,
        runs.k,
        runs.fit_status,
        runs.status_reason,
        runs.fit_mean_squared_distance,
        matching.previous_model_version,
        matching.ari_vs_previous,
        matching.share_changed_vs_previous,
        matching.n_matched_clusters,
        matching.n_new_clusters,
        matching.n_vanished_clusters,
        {% if var('cluster_model_version') %}
        runs.model_version = {{ sql_string(var("cluster_model_version")) }} as is_current
        {% else %}
        runs.fit_sequence = latest.fit_sequence as is_current
        {% endif %}
    from runs
    cross join latest
    left join matching on runs.model_version = matching.model_version
)

select * from final
