{#-
    Every eligible person scored against the stored K-Means model, in SQL: transform each
    feature exactly as the fit did (median fill, optional log1p, z-score), then take the nearest
    centroid by squared Euclidean distance (ties to the lowest cluster_id).
-#}
with

profiles as (
    select * from {{ ref('customer_profiles') }}
    where order_count >= {{ var('cluster_min_orders', 0) }}
),

model as (
    select * from {{ ref('cluster_model') }}
),

features as (
    {% for feature in var('cluster_features') %}
    select
        person_id,
        '{{ feature }}' as feature,
        cast({{ feature }} as {{ type_double() }}) as raw_value
    from profiles
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

distances as (
    select
        features.person_id,
        model.model_version,
        model.cluster_id,
        sum(
            power(
                (
                    case
                        when model.use_log1p
                            then ln(1 + greatest(coalesce(features.raw_value, model.median_fill), 0))
                        else coalesce(features.raw_value, model.median_fill)
                    end - model.feature_mean
                ) / model.feature_std - model.centroid_z,
                2
            )
        ) as squared_distance
    from features
    inner join model on features.feature = model.feature
    group by features.person_id, model.model_version, model.cluster_id
),

ranked as (
    select
        *,
        row_number() over (partition by person_id order by squared_distance, cluster_id) as distance_rank
    from distances
),

final as (
    select
        person_id,
        cluster_id,
        squared_distance,
        model_version
    from ranked
    where distance_rank = 1
)

select * from final
