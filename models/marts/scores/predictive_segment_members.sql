{#-
    Predictive segments from the scores, thresholds in dbt vars `predictive_*`:
      high_clv_low_churn      CLV decile >= predictive_high_clv_min_decile and churn probability
                              < predictive_low_churn_max_probability: protect and grow
      at_risk_high_value      CLV decile >= predictive_high_clv_min_decile and churn probability
                              >= predictive_high_churn_min_probability: retention first
      likely_to_return        P(alive) >= predictive_likely_return_min_p_alive but no purchase
                              for longer than the churn horizon: a nudge should work
-#}
with

scores as (
    select * from {{ ref('customer_scores') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

high_clv_low_churn as (
    select
        person_id,
        'high_clv_low_churn' as segment_name,
        {{ predictive_reason('scores') }} as reason
    from scores
    where clv_decile >= {{ var('predictive_high_clv_min_decile') }}
      and churn_probability < {{ var('predictive_low_churn_max_probability') }}
),

at_risk_high_value as (
    select
        person_id,
        'at_risk_high_value' as segment_name,
        {{ predictive_reason('scores') }} as reason
    from scores
    where clv_decile >= {{ var('predictive_high_clv_min_decile') }}
      and churn_probability >= {{ var('predictive_high_churn_min_probability') }}
),

likely_to_return as (
    select
        scores.person_id,
        'likely_to_return' as segment_name,
        'P(alive) ' || cast(round(scores.p_alive, 2) as {{ dbt.type_string() }}) || ', '
            || cast(profiles.recency_days as {{ dbt.type_string() }}) || ' days since last order; '
            || {{ clv_inputs_text('scores') }} as reason
    from scores
    inner join profiles on scores.person_id = profiles.person_id
    where scores.p_alive >= {{ var('predictive_likely_return_min_p_alive') }}
      and profiles.recency_days > {{ var('churn_horizon_days') }}
),

unioned as (
    select * from high_clv_low_churn
    union all
    select * from at_risk_high_value
    union all
    select * from likely_to_return
),

final as (
    select
        person_id,
        segment_name,
        reason,
        cast({{ as_of_date() }} as {{ api.Column.translate_type('timestamp') }}) as assigned_at
    from unioned
)

select * from final
