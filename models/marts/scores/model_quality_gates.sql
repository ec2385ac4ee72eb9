{#-
    Model-quality gates of the predictive models, one row per model and gate, read by
    predictive_segment_members (a segment built on a model that did not pass is flagged in its
    reason) and tested with severity var `model_gate_severity` (error: the build stops before
    the predictive segments are built).
      clv    fitted                         BG/NBD estimated on this data (clv_fit status)
      clv    holdout_abs_pct_error          |predicted - actual| / actual holdout purchases of the
                                            calibration refit <= var clv_gate_max_holdout_abs_pct_error
      churn  fitted                         a model learned on this data (churn_fit status)
      churn  auc                            validation AUC of the selected model >= var churn_gate_min_auc
      churn  auc_gain_over_recency_baseline selected AUC - recency baseline AUC
                                            >= var churn_gate_min_auc_gain_over_recency
    status: pass, fail, not_fitted (the model produced no scores) or not_checked (no figure to
    check, e.g. no holdout period with repeat buyers); only pass counts as passed.
-#}
{%- set text = dbt.type_string() -%}
{%- set max_clv_error = var('clv_gate_max_holdout_abs_pct_error') -%}
{%- set min_auc = var('churn_gate_min_auc') -%}
{%- set min_gain = var('churn_gate_min_auc_gain_over_recency') -%}
with

clv_status as (
    select
        max(case when metric = 'fitted' then value end) as fitted,
        max(case when metric = 'fitted' then text_value end) as fit_status,
        max(case when metric = 'holdout_checked' then text_value end) as holdout_status
    from {{ ref('clv_fit') }}
    where artifact = 'status'
),

clv_error as (
    select max(abs(value)) as abs_pct_error
    from {{ ref('clv_fit') }}
    where artifact = 'holdout_error' and metric = 'pct_error'
),

churn_status as (
    select
        max(case when metric = 'fitted' then value end) as fitted,
        max(case when metric = 'fitted' then text_value end) as fit_status
    from {{ ref('churn_fit') }}
    where artifact = 'status'
),

churn_auc as (
    select
        max(case when is_selected then model end) as selected_model,
        max(case when is_selected then auc end) as selected_auc,
        max(case when model = 'recency_baseline' then auc end) as baseline_auc
    from {{ ref('churn_model_comparison') }}
),

figures as (
    select
        'clv' as model_name,
        'fitted' as gate,
        clv_status.fitted as value,
        cast(1 as {{ type_double() }}) as threshold,
        case when clv_status.fitted = 1 then 'pass' else 'not_fitted' end as status,
        coalesce(clv_status.fit_status, 'not fitted: no fit status') as detail
    from clv_status

    union all

    select
        'clv' as model_name,
        'holdout_abs_pct_error' as gate,
        clv_error.abs_pct_error as value,
        {{ max_clv_error }} as threshold,
        case
            when coalesce(clv_status.fitted, 0) = 0 then 'not_fitted'
            when clv_error.abs_pct_error is null then 'not_checked'
            when clv_error.abs_pct_error <= {{ max_clv_error }} then 'pass'
            else 'fail'
        end as status,
        case
            when clv_error.abs_pct_error is null then coalesce(clv_status.holdout_status, 'holdout not checked')
            else 'holdout purchases off by ' || cast(round(100 * clv_error.abs_pct_error, 1) as {{ text }})
                || ' % (limit ' || cast(round(100 * {{ max_clv_error }}, 1) as {{ text }}) || ' %)'
        end as detail
    from clv_status
    cross join clv_error

    union all

    select
        'churn' as model_name,
        'fitted' as gate,
        churn_status.fitted as value,
        1 as threshold,
        case when churn_status.fitted = 1 then 'pass' else 'not_fitted' end as status,
        coalesce(churn_status.fit_status, 'not fitted: no fit status') as detail
    from churn_status

    union all

    select
        'churn' as model_name,
        'auc' as gate,
        churn_auc.selected_auc as value,
        {{ min_auc }} as threshold,
        case
            when coalesce(churn_status.fitted, 0) = 0 then 'not_fitted'
            when churn_auc.selected_auc is null then 'not_checked'
            when churn_auc.selected_auc >= {{ min_auc }} then 'pass'
            else 'fail'
        end as status,
        case
            when churn_auc.selected_auc is null then 'no validation AUC (too few labelled rows or one class only)'
            else 'validation AUC of ' || churn_auc.selected_model || ' '
                || cast(round(churn_auc.selected_auc, 3) as {{ text }})
                || ' (minimum ' || cast({{ min_auc }} as {{ text }}) || ')'
        end as detail
    from churn_status
    cross join churn_auc

    union all

    select
        'churn' as model_name,
        'auc_gain_over_recency_baseline' as gate,
        churn_auc.selected_auc - churn_auc.baseline_auc as value,
        {{ min_gain }} as threshold,
        case
            when coalesce(churn_status.fitted, 0) = 0 then 'not_fitted'
            when churn_auc.selected_auc is null or churn_auc.baseline_auc is null then 'not_checked'
            when churn_auc.selected_auc - churn_auc.baseline_auc >= {{ min_gain }} then 'pass'
            else 'fail'
        end as status,
        case
            when churn_auc.selected_auc is null or churn_auc.baseline_auc is null
                then 'no validation AUC for the selected model or the recency baseline'
            else churn_auc.selected_model || ' AUC ' || cast(round(churn_auc.selected_auc, 3) as {{ text }})
                || ' vs recency baseline ' || cast(round(churn_auc.baseline_auc, 3) as {{ text }})
                || ' (minimum gain ' || cast({{ min_gain }} as {{ text }}) || ')'
        end as detail
    from churn_status
    cross join churn_auc
),

final as (
    select
        cast(model_name as {{ text }}) as model_name,
        cast(gate as {{ text }}) as gate,
        cast(value as {{ type_double() }}) as value,
        cast(threshold as {{ type_double() }}) as threshold,
        cast(status as {{ text }}) as status,
        status = 'pass' as passed,
        cast(detail as {{ text }}) as detail,
        cast('high_clv_low_churn, at_risk_high_value, likely_to_return' as {{ text }}) as affects_segments
    from figures
)

select * from final
