{#-
    Product categories bought by every person, per as-of date (int_activity_as_of_dates): the
    lines of purchases (int_order_revenue revenue_kind purchase) placed by the date's cutoff, in a
    known category. The favourite is the category with most units, then most revenue, then by name.
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

clean_order_items as (
    select * from {{ ref('int_order_items_deduplicated') }}
),

customer_people as (
    select
        identifier as customer_id,
        person_id
    from identities
    where identifier_type = 'customer_id'
),

purchase_lines as (
    select
        customer_people.person_id,
        clean_orders.ordered_at,
        clean_order_items.category,
        clean_order_items.quantity,
        clean_order_items.line_total
    from clean_order_items
    inner join clean_orders
        on clean_order_items.order_id = clean_orders.order_id
    inner join customer_people
        on clean_orders.customer_id = customer_people.customer_id
    where clean_order_items.category != 'unknown'
        and clean_orders.revenue_kind = 'purchase'
),

category_totals as (
    select
        as_of_dates.as_of_date,
        purchase_lines.person_id,
        purchase_lines.category,
        sum(purchase_lines.quantity) as units,
        sum(purchase_lines.line_total) as category_revenue
    from purchase_lines
    inner join as_of_dates
        on purchase_lines.ordered_at < as_of_dates.cutoff_at
    group by as_of_dates.as_of_date, purchase_lines.person_id, purchase_lines.category
),

category_ranked as (
    select
        as_of_date,
        person_id,
        category,
        count(*) over (partition by as_of_date, person_id) as categories_bought,
        row_number() over (
            partition by as_of_date, person_id
            order by units desc, category_revenue desc, category
        ) as category_rank
    from category_totals
),

final as (
    select
        as_of_date,
        person_id,
        categories_bought,
        category as favourite_category
    from category_ranked
    where category_rank = 1
)

select * from final
