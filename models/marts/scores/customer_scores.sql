{#-
    Predictive scores per person: churn probability, P(alive), expected purchases and CLV over
    the configured horizon, with deciles (10 = highest), and the inputs behind them (the BTYD
    summary the CLV model scored: frequency, recency, T, monetary value; the features that moved
    the churn probability most). People without a purchase have no scores (null): the models
    describe buyers. A person is in customer_scores only when the CLV model was fitted on this
    data (customer_clv_scores has no rows otherwise); churn_probability is null when the churn
    model was not fitted (model_quality_gates says why). Deciles treat ties alike (equal scores,
    equal decile; macro tie_aware_decile), so a score that is the same for everybody puts
    nobody in a top decile.
-#}
with

profiles as (
    select * from {{ ref('customer_profiles') }}
),

clv as (
    select * from {{ ref('customer_clv_scores') }}
),

churn as (
    select * from {{ ref('customer_churn_scores') }}
),

clv_inputs as (
    select * from {{ ref('int_clv_summary') }}
),

joined as (
    select
        profiles.person_id,
        churn.churn_probability,
        clv.p_alive,
        clv.expected_purchases,
        clv.expected_avg_order_value,
        clv.clv,
        clv_inputs.frequency as clv_frequency,
        clv_inputs.recency_weeks as clv_recency_weeks,
        clv_inputs.t_weeks as clv_t_weeks,
        clv_inputs.monetary_value as clv_monetary_value,
        churn.churn_top_features
    from profiles
    inner join clv on profiles.person_id = clv.person_id
    left join clv_inputs on profiles.person_id = clv_inputs.person_id
    left join churn on profiles.person_id = churn.person_id
),

final as (
    select
        person_id,
        churn_probability,
        p_alive,
        expected_purchases,
        expected_avg_order_value,
        clv,
        case when churn_probability is not null
            then {{ tie_aware_decile('churn_probability', 'churn_probability is null') }} end as churn_decile,
        {{ tie_aware_decile('clv') }} as clv_decile,
        clv_frequency,
        clv_recency_weeks,
        clv_t_weeks,
        clv_monetary_value,
        churn_top_features,
        {{ as_of_date() }} as as_of_date
    from joined
)

select * from final
