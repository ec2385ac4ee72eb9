{#-
    Predictive segments from the scores (customer_scores). Every condition on a score has two
    parts: the named side of the scored population's average (so the members agree with the
    score on average whatever the shape of the data: test segment_agrees_with_score), and a
    threshold that makes the segment selective (vars `predictive_*`; deciles treat ties alike).
      high_clv_low_churn   CLV decile >= predictive_high_clv_min_decile and CLV above average;
                           churn probability < predictive_low_churn_max_probability and below
                           average: protect and grow
      at_risk_high_value   the same high value; churn probability >=
                           predictive_high_churn_min_probability and above average: retention first
      likely_to_return     no order for longer than churn_horizon_days, yet a repeat buyer (BG/NBD
                           P(alive) is 1 for every one-time buyer, so only repeat buyers' P(alive)
                           says anything) with P(alive) >= predictive_likely_return_min_p_alive,
                           and churn decile <= predictive_likely_return_max_churn_decile with
                           churn probability below average: a nudge should work
    Every segment uses both models. When a model did not pass its quality gate
    (model_quality_gates), the reason starts with "model gate not passed: ..." naming the gate.
-#}
{%- set text = dbt.type_string() -%}
with

scores as (
    select * from {{ ref('customer_scores') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

gates as (
    select * from {{ ref('model_quality_gates') }}
),

population as (
    select
        avg(clv) as avg_clv,
        avg(churn_probability) as avg_churn_probability
    from scores
),

{# nullif: over no failed gate, DuckDB's string_agg gives null, Spark's array_join an empty string -#}
gate_note as (
    select
        nullif({{ dbt.listagg(
            "model_name || ' ' || gate || ' ' || status || ' (' || detail || ')'",
            "'; '",
            "order by model_name, gate"
        ) }}, '') as failed_gates
    from gates
    where not passed
),

scored as (
    select
        scores.*,
        profiles.recency_days,
        population.avg_clv,
        population.avg_churn_probability,
        case when gate_note.failed_gates is not null
            then 'model gate not passed: ' || gate_note.failed_gates || '; ' else '' end as gate_prefix,
        scores.clv_decile >= {{ var('predictive_high_clv_min_decile') }}
            and scores.clv > population.avg_clv as is_high_value
    from scores
    inner join profiles on scores.person_id = profiles.person_id
    cross join population
    cross join gate_note
),

high_clv_low_churn as (
    select
        person_id,
        'high_clv_low_churn' as segment_name,
        gate_prefix || {{ predictive_reason('scored') }} as reason
    from scored
    where is_high_value
      and churn_probability < {{ var('predictive_low_churn_max_probability') }}
      and churn_probability < avg_churn_probability
),

at_risk_high_value as (
    select
        person_id,
        'at_risk_high_value' as segment_name,
        gate_prefix || {{ predictive_reason('scored') }} as reason
    from scored
    where is_high_value
      and churn_probability >= {{ var('predictive_high_churn_min_probability') }}
      and churn_probability > avg_churn_probability
),

likely_to_return as (
    select
        person_id,
        'likely_to_return' as segment_name,
        gate_prefix || 'P(alive) ' || cast(round(p_alive, 2) as {{ text }})
            || ', churn probability ' || cast(round(churn_probability, 2) as {{ text }})
            || ' (average ' || cast(round(avg_churn_probability, 2) as {{ text }}) || '), '
            || cast(recency_days as {{ text }}) || ' days since last order; '
            || {{ clv_inputs_text('scored') }} as reason
    from scored
    where recency_days > {{ var('churn_horizon_days') }}
      and clv_frequency >= 1
      and p_alive >= {{ var('predictive_likely_return_min_p_alive') }}
      and churn_decile <= {{ var('predictive_likely_return_max_churn_decile') }}
      and churn_probability < avg_churn_probability
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
