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
    net_amount is what the order adds to net revenue, in the reporting currency
    (int_order_currencies): the total of a purchase or refund, itself or converted with the rate
    you provided; 0 for the other kinds; null when a purchase or refund cannot be converted (it
    is still a purchase, but in no revenue figure).
-#}
{{ config(materialized='view') }}

with

orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

currencies as (
    select * from {{ ref('int_order_currencies') }}
),

kinds as (
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
        currencies.reporting_currency as revenue_currency,
        currencies.is_converted,
        currencies.rate_to_reporting
    from orders
    inner join currencies
        on orders.currency = currencies.currency
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        order_status,
        currency,
        order_total,
        discount_amount,
        revenue_kind,
        revenue_kind = 'purchase' as is_purchase,
        revenue_currency,
        is_converted,
        case
            when revenue_kind not in ('purchase', 'refund') then cast(0 as {{ type_money() }})
            when is_converted then cast(order_total * rate_to_reporting as {{ type_money() }})
        end as net_amount,
        case
            when revenue_kind not in ('purchase', 'refund') then cast(0 as {{ type_money() }})
            when is_converted then cast(discount_amount * rate_to_reporting as {{ type_money() }})
        end as discount_in_revenue_currency
    from kinds
)

select * from final
