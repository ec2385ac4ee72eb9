{#-
    Calibration/holdout split for checking the CLV model on the user's own data: the BTYD
    summary as of (as_of_date - clv_holdout_days) for people who had bought by then, and the
    purchase days they actually made in the holdout period that follows.
-#}
with

transactions as (
    select * from {{ ref('int_clv_transactions') }}
),

calibration as (
    {{ clv_summary(ref('int_clv_transactions'), dbt.dateadd('day', -var('clv_holdout_days'), as_of_date())) }}
),

holdout as (
    select
        person_id,
        count(*) as holdout_purchases
    from transactions
    where purchase_date > {{ dbt.dateadd('day', -var('clv_holdout_days'), as_of_date()) }}
      and purchase_date <= {{ as_of_date() }}
    group by person_id
),

final as (
    select
        calibration.person_id,
        calibration.frequency,
        calibration.recency_weeks,
        calibration.t_weeks,
        calibration.monetary_value,
        coalesce(holdout.holdout_purchases, 0) as holdout_purchases,
        {{ divide(var('clv_holdout_days'), 7) }} as holdout_weeks
    from calibration
    left join holdout on calibration.person_id = holdout.person_id
)

select * from final
