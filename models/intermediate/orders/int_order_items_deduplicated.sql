{#- Clean order lines, one row per order_item_id (order_id#line_number); the latest landed version wins. -#}
{{ config(materialized='table') }}

with

order_items as (
    select * from {{ ref('int_order_items_validated') }}
    where dq_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_item_id
            order by _source_file desc, _source_row desc
        ) as version_rank
    from order_items
),

final as (
    select
        order_item_id,
        order_id,
        product_id,
        category,
        line_number,
        quantity,
        cast(unit_price as {{ type_money() }}) as unit_price,
        cast(line_total as {{ type_money() }}) as line_total,
        _source_file,
        _source_row
    from ranked
    where version_rank = 1
)

select * from final
