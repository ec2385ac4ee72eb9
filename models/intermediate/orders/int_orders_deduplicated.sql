{#-
    Clean orders, one row per order_id. Exact duplicates collapse; when one order_id has
    different versions (reported in dq_duplicates), the latest landed one wins: the last file in
    name order (batch files are named by time), then the last row in it.
    Not filtered by the as-of date: rollups filter with their own cutoff (see
    macros/features/customer_activity_features.sql), so one table serves every as-of date.
    person_id is the stitched person of the order's customer_id (int_identities_stitched): use
    it, not customer_id, to roll orders up per person.
-#}
{{ config(materialized='table') }}

with

orders as (
    select * from {{ ref('int_orders_validated') }}
    where dq_reason is null
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
    where identifier_type = 'customer_id'
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_id
            order by {{ latest_landed_order() }}
        ) as version_rank
    from orders
),

final as (
    select
        ranked.order_id,
        ranked.customer_id,
        identities.person_id,
        ranked.currency,
        ranked.order_status,
        ranked.channel,
        cast(ranked.order_total as {{ type_money() }}) as order_total,
        cast(ranked.discount_amount as {{ type_money() }}) as discount_amount,
        ranked.ordered_at,
        ranked._source_file,
        ranked._source_row
    from ranked
    left join identities
        on ranked.customer_id = identities.identifier
    where ranked.version_rank = 1
)

select * from final
