{#-
    How well the CLV model predicts on this data: fitted on the calibration period, predicted vs
    actual repeat purchase days in the holdout period, per calibration frequency bucket and in
    total (bucket 'total'), plus the overall error figures (bucket null, metric in `metric`).
-#}
with

fit as (
    select * from {{ ref('clv_fit') }}
    where artifact in ('holdout_bucket', 'holdout_error')
),

buckets as (
    select
        model_version,
        feature as frequency_bucket,
        max(case when metric = 'n_customers' then value end) as n_customers,
        max(case when metric = 'predicted' then value end) as predicted_purchases,
        max(case when metric = 'actual' then value end) as actual_purchases,
        max(case when metric = 'error' then value end) as error,
        max(case when metric = 'abs_pct_error' then value end) as abs_pct_error
    from fit
    where artifact = 'holdout_bucket'
    group by model_version, feature
),

final as (
    select * from buckets
)

select * from final
