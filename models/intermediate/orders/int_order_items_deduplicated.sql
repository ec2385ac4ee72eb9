{#- Clean order lines, one row per order_item_id (order_id#line_number); the latest landed version wins
    (macro latest_version_ctes: only repeated keys are ranked). -#}
{{ config(materialized='table') }}

with

order_items as (
    select * from {{ ref('int_order_items_validated') }}
    where dq_reason is null
),

{{ latest_version_ctes('order_items', 'order_item_id', [
    'order_item_id', 'order_id', 'product_id', 'category', 'line_number', 'quantity',
    'unit_price', 'line_total', '_source_file', '_source_row'
]) }},

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
    from latest_versions
)

select * from final
