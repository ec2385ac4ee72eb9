{#-
    Purchase days per person for the BTYD and churn models: purchases with a positive value in
    the reporting currency (int_order_revenue: no cancelled or returned order, no refund; every
    order of every customer_id of the person, via int_identities_stitched), collapsed to one
    transaction per person and calendar day (several orders on one day are one purchase
    occasion, the usual convention for BG/NBD), with the day's total value. All known orders
    are kept; each consumer applies its own cutoff, so no later data leaks into a fit.
-#}
with

orders as (
    select * from {{ ref('int_order_revenue') }}
    where is_purchase and net_amount > 0
),

people as (
    select
        identifier as customer_id,
        person_id
    from {{ ref('int_identities_stitched') }}
    where identifier_type = 'customer_id'
),

daily as (
    select
        people.person_id,
        cast(orders.ordered_at as date) as purchase_date,
        sum(orders.net_amount) as purchase_value
    from orders
    inner join people on orders.customer_id = people.customer_id
    group by people.person_id, cast(orders.ordered_at as date)
),

final as (
    select
        person_id,
        purchase_date,
        purchase_value
    from daily
)

select * from final
