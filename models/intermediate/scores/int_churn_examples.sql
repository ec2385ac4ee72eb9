{#-
    Churn examples without leakage. The same features (macro customer_activity_features) are
    computed as of three dates, H = churn_horizon_days:
      train    features as of as_of - 2H, churned = no purchase in the H days after
      valid    features as of as_of - H,  churned = no purchase in the H days after (up to as_of)
      current  features as of as_of, to score (churned is null)
    Only people who had bought before the respective date are included.
-#}
{%- set horizon = var('churn_horizon_days') -%}
{%- set cutoffs = {
    'train': dbt.dateadd('day', -2 * horizon, as_of_date()),
    'valid': dbt.dateadd('day', -horizon, as_of_date()),
    'current': as_of_date(),
} -%}

with

purchases as (
    select * from {{ ref('int_clv_transactions') }}
),

{% for sample_set, cutoff in cutoffs.items() %}
features_{{ sample_set }} as (
    select * from ({{ customer_activity_features(cutoff) }}) as f
    where f.order_count >= 1
),

examples_{{ sample_set }} as (
    select
        '{{ sample_set }}' as sample_set,
        cast({{ cutoff }} as date) as cutoff_date,
        {% for feature in var('churn_features') %}
        cast(f.{{ feature }} as {{ type_double() }}) as {{ feature }},
        {% endfor %}
        {% if sample_set == 'current' -%}
        cast(null as {{ dbt.type_int() }}) as churned,
        {%- else -%}
        case
            when exists (
                select 1
                from purchases as p
                where p.person_id = f.person_id
                  and p.purchase_date > cast({{ cutoff }} as date)
                  and p.purchase_date <= cast({{ dbt.dateadd('day', horizon, cutoff) }} as date)
            ) then 0
            else 1
        end as churned,
        {%- endif %}
        f.person_id
    from features_{{ sample_set }} as f
),
{% endfor %}

final as (
    select * from examples_train
    union all
    select * from examples_valid
    union all
    select * from examples_current
)

select * from final
