{#- Validation figures of each churn model and of the recency baseline; the selected model flagged. -#}
with

fit as (
    select * from {{ ref('churn_fit') }}
    where artifact = 'validation'
),

final as (
    select
        model_version,
        feature as model,
        max(case when metric = 'auc' then value end) as auc,
        max(case when metric = 'pr_auc' then value end) as pr_auc,
        max(case when metric = 'brier' then value end) as brier_score,
        max(case when metric = 'top_decile_lift' then value end) as top_decile_lift,
        max(case when metric = 'base_rate' then value end) as base_rate,
        max(case when metric = 'n_train' then value end) as n_train,
        max(case when metric = 'n_valid' then value end) as n_valid,
        max(case when metric = 'is_selected' then value end) = 1 as is_selected
    from fit
    group by model_version, feature
)

select * from final
