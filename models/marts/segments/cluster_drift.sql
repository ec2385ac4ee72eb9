{#-
    Is a refit due? The current model (cluster_model_history.is_current) against today's
    eligible population, one row per figure:
      psi                         per feature: population stability index of today's values
                                  against the fit-time deciles (cluster_fit feature_bins),
                                  sum((today - fit) * ln(today / fit)) over the bins, shares
                                  floored at 0.0001; > var cluster_drift_max_psi is due
      mean_squared_distance_ratio mean squared distance of today's people to their centroid
                                  divided by the same figure on the fitting sample; > var
                                  cluster_drift_max_distance_ratio is due (the clusters no
                                  longer describe the people well)
    is_refit_due is true on a figure above its threshold.
-#}
with

fit as (
    {{ current_cluster_fit() }}
),

history as (
    select * from {{ ref('cluster_model_history') }}
    where is_current
),

model as (
    select * from {{ ref('cluster_model') }}
),

clusters as (
    select * from {{ ref('customer_clusters') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
    where order_count >= {{ var('cluster_min_orders', 0) }}
),

fills as (
    select distinct
        feature,
        median_fill
    from model
),

features as (
    {% for feature in var('cluster_features') %}
    select
        profiles.person_id,
        '{{ feature }}' as feature,
        coalesce(cast(profiles.{{ feature }} as {{ type_double() }}), fills.median_fill) as value
    from profiles
    inner join fills on fills.feature = '{{ feature }}'
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

bins as (
    select
        feature,
        position as bin,
        max(case when metric = 'upper_edge' then value end) as upper_edge,
        max(case when metric = 'fit_share' then value end) as fit_share
    from fit
    where artifact = 'feature_bins'
    group by feature, position
),

bounded_bins as (
    select
        feature,
        bin,
        lag(upper_edge) over (partition by feature order by bin) as lower_edge,
        upper_edge,
        fit_share
    from bins
),

binned as (
    select
        bounded_bins.feature,
        bounded_bins.bin,
        count(features.person_id) as n_people
    from bounded_bins
    left join features
        on features.feature = bounded_bins.feature
        and (bounded_bins.lower_edge is null or features.value > bounded_bins.lower_edge)
        and (bounded_bins.upper_edge is null or features.value <= bounded_bins.upper_edge)
    group by bounded_bins.feature, bounded_bins.bin
),

shares as (
    select
        bounded_bins.feature,
        bounded_bins.bin,
        greatest(bounded_bins.fit_share, 0.0001) as fit_share,
        greatest(
            cast(binned.n_people as {{ type_double() }})
                / nullif(sum(binned.n_people) over (partition by binned.feature), 0),
            0.0001
        ) as current_share
    from bounded_bins
    inner join binned
        on bounded_bins.feature = binned.feature
        and bounded_bins.bin = binned.bin
),

psi as (
    select
        'psi' as metric,
        feature,
        cast(null as {{ type_double() }}) as fit_value,
        cast(null as {{ type_double() }}) as current_value,
        sum((current_share - fit_share) * ln(current_share / fit_share)) as value,
        cast({{ var('cluster_drift_max_psi') }} as {{ type_double() }}) as threshold
    from shares
    group by feature
),

distance as (
    select
        'mean_squared_distance_ratio' as metric,
        cast(null as {{ dbt.type_string() }}) as feature,
        max(history.fit_mean_squared_distance) as fit_value,
        avg(clusters.squared_distance) as current_value,
        avg(clusters.squared_distance) / nullif(max(history.fit_mean_squared_distance), 0) as value,
        cast({{ var('cluster_drift_max_distance_ratio') }} as {{ type_double() }}) as threshold
    from clusters
    cross join history
),

unioned as (
    select * from psi
    union all
    select * from distance
),

final as (
    select
        history.model_version,
        unioned.metric,
        unioned.feature,
        unioned.fit_value,
        unioned.current_value,
        unioned.value,
        unioned.threshold,
        coalesce(unioned.value > unioned.threshold, false) as is_refit_due
    from unioned
    cross join history
)

select * from final
