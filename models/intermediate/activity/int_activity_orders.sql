{#-
    Purchases and refunds of every person who placed one, per as-of date
    (int_activity_as_of_dates): the orders that count (int_order_revenue: revenue_kind purchase
    or refund) placed by the date's cutoff. Net revenue = purchases + refunds (negative), in the
    reporting currency; orders no rate converts count as purchases but in no revenue figure.
-#}
{{ config(materialized='table') }}

with

as_of_dates as (
    select * from {{ ref('int_activity_as_of_dates') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

clean_orders as (
    select * from {{ ref('int_order_revenue') }}
),

customer_people as (
    select
        identifier as customer_id,
        person_id
    from identities
    where identifier_type = 'customer_id'
),

revenue_orders as (
    select
        as_of_dates.as_of_date,
        customer_people.person_id,
        clean_orders.revenue_kind,
        clean_orders.net_amount,
        clean_orders.discount_in_revenue_currency,
        clean_orders.ordered_at
    from clean_orders
    inner join customer_people
        on clean_orders.customer_id = customer_people.customer_id
    inner join as_of_dates
        on clean_orders.ordered_at < as_of_dates.cutoff_at
    where clean_orders.revenue_kind in ('purchase', 'refund')
),

final as (
    select
        as_of_date,
        person_id,
        count(case when revenue_kind = 'purchase' then 1 end) as order_count,
        count(case when revenue_kind = 'purchase' and net_amount is not null then 1 end) as converted_order_count,
        count(case when net_amount is null then 1 end) as unconverted_order_count,
        coalesce(sum(net_amount), 0) as total_revenue,
        coalesce(sum(case when revenue_kind = 'purchase' then net_amount end), 0) as gross_revenue,
        sum(case when revenue_kind = 'purchase' then discount_in_revenue_currency end) as total_discount,
        min(case when revenue_kind = 'purchase' then ordered_at end) as first_order_at,
        max(case when revenue_kind = 'purchase' then ordered_at end) as last_order_at
    from revenue_orders
    group by as_of_date, person_id
)

select * from final
