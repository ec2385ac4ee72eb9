{#-
    Every eligible person scored against the current stored K-Means model (cluster_model), in
    SQL: transform each feature exactly as the fit did (median fill, optional log1p, z-score),
    then take the nearest centroid by squared Euclidean distance (ties to the lowest
    cluster_id). New customers are scored the same way: with `cluster_refit: false` this is the
    whole scoring, no refit.

    Explanation per person: the distance to the assigned centroid, and the three features on
    which the person stands out most from the average customer (largest |z| in the model's
    standardized space; ties by feature order), with their raw values.
-#}
{%- set text_type = dbt.type_string() -%}
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

transform as (
    select distinct
        feature,
        position,
        use_log1p,
        feature_mean,
        feature_std,
        median_fill
    from model
),

standardized as (
    select
        features.person_id,
        features.feature,
        transform.position,
        features.raw_value,
        (
            case
                when transform.use_log1p
                    then ln(1 + greatest(coalesce(features.raw_value, transform.median_fill), 0))
                else coalesce(features.raw_value, transform.median_fill)
            end - transform.feature_mean
        ) / transform.feature_std as z
    from features
    inner join transform on features.feature = transform.feature
),

distances as (
    select
        standardized.person_id,
        model.model_version,
        model.cluster_id,
        sum(power(standardized.z - model.centroid_z, 2)) as squared_distance
    from standardized
    inner join model on standardized.feature = model.feature
    group by standardized.person_id, model.model_version, model.cluster_id
),

ranked as (
    select
        *,
        row_number() over (partition by person_id order by squared_distance, cluster_id) as distance_rank
    from distances
),

standouts as (
    select
        person_id,
        feature,
        raw_value,
        z,
        row_number() over (partition by person_id order by abs(z) desc, position) as standout_rank
    from standardized
),

top_features as (
    select
        person_id,
        {% for i in [1, 2, 3] %}
        max(case when standout_rank = {{ i }} then feature end) as top_feature_{{ i }},
        max(case when standout_rank = {{ i }} then z end) as top_feature_{{ i }}_z,
        max(case when standout_rank = {{ i }} then
            {{ dbt.concat([
                "feature", "' '",
                "coalesce(cast(" ~ round_to('raw_value', 2) ~ " as " ~ text_type ~ "), 'missing')",
                "' ('", "case when z >= 0 then '+' else '' end",
                "cast(" ~ round_to('z', 1) ~ " as " ~ text_type ~ ")", "' sd)'"
            ]) }}
        end) as standout_{{ i }}{{ ',' if not loop.last }}
        {% endfor %}
    from standouts
    where standout_rank <= 3
    group by person_id
),

final as (
    select
        ranked.person_id,
        ranked.cluster_id,
        ranked.squared_distance,
        sqrt(ranked.squared_distance) as distance_to_centroid,
        top_features.top_feature_1,
        top_features.top_feature_1_z,
        top_features.top_feature_2,
        top_features.top_feature_2_z,
        top_features.top_feature_3,
        top_features.top_feature_3_z,
        {{ dbt.concat([
            "'distance to centroid '", "cast(" ~ round_to('sqrt(ranked.squared_distance)', 2) ~ " as " ~ text_type ~ ")",
            "'; stands out on '",
            join_non_null(['top_features.standout_1', 'top_features.standout_2', 'top_features.standout_3'], ', ')
        ]) }} as explanation,
        ranked.model_version
    from ranked
    left join top_features on ranked.person_id = top_features.person_id
    where ranked.distance_rank = 1
)

select * from final
