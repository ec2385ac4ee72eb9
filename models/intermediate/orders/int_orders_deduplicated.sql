{#- Usable orders known by the as-of date, one row per order_id: the latest landed version wins. -#}
with

orders as (
    select * from {{ ref('stg_shop__orders') }}
    where dq_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_id
            order by _source_file desc, _source_row desc
        ) as version_rank
    from orders
    where ordered_at < {{ as_of_timestamp() }}
),

final as (
    select
        order_id,
        customer_id,
        currency,
        order_status,
        channel,
        order_total,
        discount_amount,
        ordered_at
    from ranked
    where version_rank = 1
)

select * from final
