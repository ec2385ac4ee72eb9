{#-
    Every clean order's customer_id is a customer_id identifier of int_identities_stitched, so
    consumers that resolve orders to people with an inner join on it (the int_activity_* rollups,
    int_clv_transactions, trigger_segment_members) drop no order. int_orders_deduplicated has no
    person_id; this replaces its not_null + relationships tests.
-#}
with

orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

customer_people as (
    select * from {{ ref('int_identities_stitched') }}
    where identifier_type = 'customer_id'
),

final as (
    select
        orders.order_id,
        orders.customer_id
    from orders
    left join customer_people
        on orders.customer_id = customer_people.identifier
    where customer_people.person_id is null
)

select * from final
