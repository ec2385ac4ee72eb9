{#-
    Every clean order with what it counts for (docs/data_contract.md, "Returns and
    cancellations"):
      purchase   completed, total >= 0: one purchase (frequency, recency), its total is gross
                 and net revenue
      refund     returned or cancelled with a negative total (a credit note or cancellation
                 invoice): no purchase; its total reduces net revenue
      cancelled  cancelled with a total >= 0: counts for nothing
      returned   returned with a total >= 0 (the order was refunded in full): counts for nothing
      other      any other status: counts for nothing
    net_amount is the total in the reporting currency (int_order_currencies): the total itself,
    or converted with the rate you provided; null when it cannot be converted (the order is
    still a purchase, but in no revenue figure).
-#}
{{ config(materialized='view') }}

with

orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

currencies as (
    select * from {{ ref('int_order_currencies') }}
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_status,
        orders.currency,
        orders.order_total,
        orders.discount_amount,
        case
            when orders.order_status = 'completed' and orders.order_total >= 0 then 'purchase'
            when orders.order_status in ('returned', 'cancelled') and orders.order_total < 0 then 'refund'
            when orders.order_status in ('returned', 'cancelled') then orders.order_status
            else 'other'
        end as revenue_kind,
        orders.order_status = 'completed' and orders.order_total >= 0 as is_purchase,
        currencies.reporting_currency as revenue_currency,
        currencies.is_converted,
        case
            when currencies.is_converted
                then cast(orders.order_total * currencies.rate_to_reporting as {{ type_money() }})
        end as net_amount,
        case
            when currencies.is_converted
                then cast(orders.discount_amount * currencies.rate_to_reporting as {{ type_money() }})
        end as discount_in_revenue_currency
    from orders
    inner join currencies
        on orders.currency = currencies.currency
)

select * from final
