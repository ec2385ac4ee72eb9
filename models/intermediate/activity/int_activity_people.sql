{#-
    The people the activity features describe, per as-of date (int_activity_as_of_dates): people
    with a clean CRM record that signed up by then (or has no signup date) or with at least one
    clean order placed by then. People are the components of int_identities_stitched, so every
    account, email and device of a person counts for them.
-#}
{{ config(materialized='table') }}

with

as_of_dates as (
    select * from {{ ref('int_activity_as_of_dates') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

crm_customers as (
    select * from {{ ref('int_customers_deduplicated') }}
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

person_customers as (
    select
        as_of_dates.as_of_date,
        customer_people.person_id,
        crm_customers.signup_at
    from crm_customers
    inner join customer_people
        on crm_customers.customer_id = customer_people.customer_id
    inner join as_of_dates
        on crm_customers.signup_at is null
        or crm_customers.signup_at < as_of_dates.cutoff_at
),

person_orders as (
    select
        as_of_dates.as_of_date,
        customer_people.person_id
    from clean_orders
    inner join customer_people
        on clean_orders.customer_id = customer_people.customer_id
    inner join as_of_dates
        on clean_orders.ordered_at < as_of_dates.cutoff_at
),

population as (
    select as_of_date, person_id from person_customers
    union
    select as_of_date, person_id from person_orders
),

customer_id_counts as (
    select
        person_id,
        count(distinct customer_id) as customer_id_count
    from customer_people
    group by person_id
),

crm_rollup as (
    select
        as_of_date,
        person_id,
        min(signup_at) as signup_at
    from person_customers
    group by as_of_date, person_id
),

final as (
    select
        population.as_of_date,
        population.person_id,
        crm_rollup.person_id is not null as has_crm_record,
        coalesce(customer_id_counts.customer_id_count, 0) as customer_id_count,
        crm_rollup.signup_at
    from population
    left join crm_rollup
        on population.as_of_date = crm_rollup.as_of_date
        and population.person_id = crm_rollup.person_id
    left join customer_id_counts
        on population.person_id = customer_id_counts.person_id
)

select * from final
