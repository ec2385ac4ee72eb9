{#- BTYD summary (frequency, recency, T in weeks, monetary value) per buyer as of the as-of date. -#}
with

summary as (
    {{ clv_summary(ref('int_clv_transactions'), as_of_date()) }}
),

final as (
    select
        person_id,
        frequency,
        recency_weeks,
        t_weeks,
        monetary_value
    from summary
)

select * from final
