{#-
    Every staged order line with its final dq_reason: staging's own reason, else
      orphan_order      the line's order is not a clean order (missing, quarantined or unknown)
      invalid_quantity  a negative quantity (returned units) on an order that is no return or
                        cancellation (docs/data_contract.md, "Returns and cancellations")
-#}
{#- a table: the quarantine, the duplicates report, the audit and deduplication all read it -#}
{{ config(materialized='table') }}

with

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

clean_orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

checked as (
    select
        order_items.*,
        case
            when order_items.dq_reason is not null then order_items.dq_reason
            when clean_orders.order_id is null then 'orphan_order'
            when order_items.quantity < 0 and clean_orders.order_status not in ('cancelled', 'returned')
                then 'invalid_quantity'
        end as final_dq_reason
    from order_items
    left join clean_orders
        on order_items.order_id = clean_orders.order_id
),

final as (
    select
        order_item_id,
        order_id,
        product_id,
        category,
        line_number,
        quantity,
        unit_price,
        line_total,
        final_dq_reason as dq_reason,
        _source_file,
        _source_row
    from checked
)

select * from final
