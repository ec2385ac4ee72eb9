{#-
    Reasons of the predictive segments (models/marts/scores/predictive_segment_members.sql):
    the scores and the inputs behind them, from customer_scores columns of the relation alias
    `scores`.
      clv_inputs_text    the BTYD summary the CLV model scored (frequency, recency, T, monetary)
      predictive_reason  CLV decile, churn probability and what drove it, then the CLV inputs
-#}
{% macro clv_inputs_text(scores) -%}
    'CLV inputs: frequency ' || cast({{ scores }}.clv_frequency as {{ dbt.type_string() }})
        || ', recency ' || cast(round({{ scores }}.clv_recency_weeks, 1) as {{ dbt.type_string() }})
        || ' wk, T ' || cast(round({{ scores }}.clv_t_weeks, 1) as {{ dbt.type_string() }})
        || ' wk, monetary ' || coalesce(cast(round({{ scores }}.clv_monetary_value, 2) as {{ dbt.type_string() }}), 'n/a')
{%- endmacro %}

{% macro predictive_reason(scores) -%}
    'CLV decile ' || cast({{ scores }}.clv_decile as {{ dbt.type_string() }}) || ', churn probability '
        || cast(round({{ scores }}.churn_probability, 2) as {{ dbt.type_string() }})
        || ' (churn driven by ' || coalesce({{ scores }}.churn_top_features, 'n/a') || '); '
        || {{ clv_inputs_text(scores) }}
{%- endmacro -%}
