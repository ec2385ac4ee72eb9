{#-
    The profiles the segmentation is fitted on: eligible people (at least `cluster_min_orders`
    orders), a deterministic pseudo-random sample of `cluster_sample_size` of them (ordered by a
    hash of person_id and the seed, so the same data always gives the same sample).
-#}
with

profiles as (
    select * from {{ ref('customer_profiles') }}
    where order_count >= {{ var('cluster_min_orders', 0) }}
),

ranked as (
    select
        person_id,
        {% for feature in var('cluster_features') %}
        {{ feature }},
        {% endfor %}
        {{ dbt.hash(dbt.concat(['person_id', "'-" ~ var('cluster_seed') ~ "'"])) }} as sample_key
    from profiles
),

final as (
    select
        person_id,
        {% for feature in var('cluster_features') %}
        {{ feature }}{{ ',' if not loop.last }}
        {% endfor %}
    from ranked
    order by sample_key
    limit {{ var('cluster_sample_size') }}
)

select * from final
