{#-
    Behaviour and purchase features of every person as of every date of int_activity_as_of_dates
    (the build's as-of date and the churn examples' cut-offs): the people of int_activity_people
    with their web, email, survey, order and category rollups. Only data known by the end of a
    day counts, so the same data always gives the same rows and nothing later leaks in.
    int_customer_activity is the as-of date's rows; int_churn_examples joins the cut-offs'.
    Definitions of the columns: models/marts/customers/customer_profiles.md.
-#}
{{ config(materialized='table') }}

with

people as (
    select * from {{ ref('int_activity_people') }}
),

web as (
    select * from {{ ref('int_activity_web') }}
),

email as (
    select * from {{ ref('int_activity_email') }}
),

surveys as (
    select * from {{ ref('int_activity_surveys') }}
),

orders as (
    select * from {{ ref('int_activity_orders') }}
),

categories as (
    select * from {{ ref('int_activity_categories') }}
),

order_currencies as (
    select * from {{ ref('int_order_currencies') }}
),

joined as (
    select
        people.person_id,
        people.as_of_date,
        people.has_crm_record,
        people.customer_id_count,
        people.signup_at,
        coalesce(web.sessions_30d, 0) as sessions_30d,
        coalesce(web.sessions_90d, 0) as sessions_90d,
        coalesce(web.page_views_30d, 0) as page_views_30d,
        coalesce(web.page_views_90d, 0) as page_views_90d,
        coalesce(web.product_views_30d, 0) as product_views_30d,
        coalesce(web.product_views_90d, 0) as product_views_90d,
        coalesce(web.add_to_cart_90d, 0) as add_to_cart_90d,
        coalesce(web.cart_abandonments_90d, 0) as cart_abandonments_90d,
        web.last_visit_at,
        coalesce(email.emails_received, 0) as emails_received,
        coalesce(email.emails_opened, 0) as emails_opened,
        coalesce(email.emails_clicked, 0) as emails_clicked,
        surveys.nps_score,
        surveys.satisfaction_score,
        coalesce(orders.order_count, 0) as order_count,
        coalesce(orders.total_revenue, 0) as total_revenue,
        coalesce(orders.gross_revenue, 0) as gross_revenue,
        coalesce(orders.converted_order_count, 0) as converted_order_count,
        coalesce(orders.unconverted_order_count, 0) as unconverted_order_count,
        orders.total_discount,
        orders.first_order_at,
        orders.last_order_at,
        coalesce(categories.categories_bought, 0) as categories_bought,
        categories.favourite_category
    from people
    left join web
        on people.as_of_date = web.as_of_date
        and people.person_id = web.person_id
    left join email
        on people.as_of_date = email.as_of_date
        and people.person_id = email.person_id
    left join surveys
        on people.as_of_date = surveys.as_of_date
        and people.person_id = surveys.person_id
    left join orders
        on people.as_of_date = orders.as_of_date
        and people.person_id = orders.person_id
    left join categories
        on people.as_of_date = categories.as_of_date
        and people.person_id = categories.person_id
),

final as (
    select
        person_id,
        as_of_date,
        has_crm_record,
        customer_id_count,
        signup_at,
        sessions_30d,
        sessions_90d,
        page_views_30d,
        page_views_90d,
        product_views_30d,
        product_views_90d,
        add_to_cart_90d,
        cart_abandonments_90d,
        last_visit_at,
        {{ dbt.datediff('last_visit_at', 'as_of_date', 'day') }} as days_since_last_visit,
        emails_received,
        case
            when emails_received > 0 then least(1.0, {{ divide('emails_opened', 'emails_received') }})
            else 0.0
        end as email_open_rate,
        case
            when emails_received > 0 then least(1.0, {{ divide('emails_clicked', 'emails_received') }})
            else 0.0
        end as email_click_rate,
        nps_score,
        satisfaction_score,
        order_count,
        total_revenue,
        gross_revenue,
        {#- with no order at all, the currency revenue would be reported in: var default_currency -#}
        coalesce(
            (select max(reporting_currency) from order_currencies),
            {{ sql_string(var('default_currency')) }}
        ) as revenue_currency,
        unconverted_order_count,
        case when converted_order_count > 0 then {{ divide('total_revenue', 'converted_order_count') }} end as avg_order_value,
        first_order_at,
        last_order_at,
        {{ dbt.datediff('last_order_at', 'as_of_date', 'day') }} as recency_days,
        {{ dbt.datediff('coalesce(first_order_at, signup_at)', 'as_of_date', 'day') }} as tenure_days,
        case
            when order_count > 0
                then {{ divide('order_count * 30', 'greatest(' ~ dbt.datediff('first_order_at', 'as_of_date', 'day') ~ ', 30)') }}
            else 0.0
        end as purchase_frequency,
        case
            when order_count = 0 then null
            when gross_revenue + total_discount > 0 then {{ divide('total_discount', 'gross_revenue + total_discount') }}
            else 0.0
        end as discount_share,
        categories_bought,
        favourite_category
    from joined
)

select * from final
