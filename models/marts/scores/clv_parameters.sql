{#- Fitted BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, v) parameters and fit diagnostics. -#}
with

fit as (
    select * from {{ ref('clv_fit') }}
    where artifact = 'parameters'
),

final as (
    select
        model_version,
        metric as parameter,
        value,
        text_value
    from fit
)

select * from final
