{#-
    Churn examples without leakage. The same features (int_activity_features, computed as of
    every date of int_activity_as_of_dates) are read as of three dates (macro churn_cutoffs),
    H = churn_horizon_days:
      train    features as of as_of - 2H, churned = no purchase in the H days after
      valid    features as of as_of - H,  churned = no purchase in the H days after (up to as_of)
      current  features as of as_of, to score (churned is null)
    Only people who had bought before the respective date are included.
-#}
{%- set horizon = var('churn_horizon_days') -%}
{%- set cutoffs = churn_cutoffs() -%}

with

purchases as (
    select * from {{ ref('int_clv_transactions') }}
),

features as (
    select * from {{ ref('int_activity_features') }}
    where order_count >= 1
),

sample_sets as (
    {% for sample_set, cutoff in cutoffs.items() %}
    select
        '{{ sample_set }}' as sample_set,
        cast({{ cutoff }} as date) as cutoff_date,
        cast({{ dbt.dateadd('day', horizon, cutoff) }} as date) as horizon_end_date
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

examples as (
    select
        sample_sets.sample_set,
        sample_sets.cutoff_date,
        {% for feature in var('churn_features') %}
        cast(f.{{ feature }} as {{ type_double() }}) as {{ feature }},
        {% endfor %}
        case
            when sample_sets.sample_set = 'current' then cast(null as {{ dbt.type_int() }})
            when exists (
                select 1
                from purchases as p
                where p.person_id = f.person_id
                  and p.purchase_date > sample_sets.cutoff_date
                  and p.purchase_date <= sample_sets.horizon_end_date
            ) then 0
            else 1
        end as churned,
        f.person_id
    from features as f
    inner join sample_sets
        on f.as_of_date = sample_sets.cutoff_date
),

final as (
    select * from examples
)

select * from final
