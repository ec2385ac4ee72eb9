{#-
    The currencies of the clean (validated, deduplicated) orders, with how many orders each: the
    personas print amounts in the orders' own currency, and name every currency when there are
    several (audience.personas.currency_label).
-#}
with

orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

final as (
    select
        currency,
        count(*) as n_orders
    from orders
    where currency is not null
    group by currency
)

select * from final
