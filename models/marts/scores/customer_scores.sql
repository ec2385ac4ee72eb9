{#-
    Predictive scores per person: churn probability, P(alive), expected purchases and CLV over
    the configured horizon, with deciles (10 = highest). People without a purchase have no
    scores (null): the models describe buyers.
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

joined as (
    select
        profiles.person_id,
        churn.churn_probability,
        clv.p_alive,
        clv.expected_purchases,
        clv.expected_avg_order_value,
        clv.clv
    from profiles
    inner join clv on profiles.person_id = clv.person_id
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
            then ntile(10) over (order by churn_probability, person_id) end as churn_decile,
        ntile(10) over (order by clv, person_id) as clv_decile,
        {{ as_of_date() }} as as_of_date
    from joined
)

select * from final
