{#-
    customer_activity_features(as_of_expr): a select statement with one row per person and the
    behaviour and purchase rollups of that person as of the date `as_of_expr` (any SQL date
    expression: as_of_date(), a literal, a scalar subquery). Only data known by the end of that
    day counts (event_at < as_of_expr + 1 day), so the same call on the same data always gives
    the same rows and nothing later leaks in. customer_profiles uses it (through
    int_customer_activity) with as_of_date(); the churn model calls it with earlier cutoffs.

    Population: people with a clean CRM record that signed up by then (or has no signup date)
    or with at least one clean order placed by then. People are the components of
    int_identities_stitched, so every account, email and device of a person counts for them,
    including browsing before login.

    Columns (definitions in models/marts/customers/customer_profiles.md):
      person_id, as_of_date, has_crm_record, customer_id_count, signup_at,
      sessions_30d, sessions_90d, page_views_30d, page_views_90d, product_views_30d,
      product_views_90d, add_to_cart_90d, cart_abandonments_90d, last_visit_at,
      days_since_last_visit, emails_received, email_open_rate, email_click_rate, nps_score,
      satisfaction_score, order_count, total_revenue, avg_order_value, first_order_at,
      last_order_at, recency_days, tenure_days, purchase_frequency, discount_share,
      categories_bought, favourite_category
-#}
{% macro customer_activity_features(as_of_expr) %}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
{%- set as_of_day = 'cast(' ~ as_of_expr ~ ' as date)' -%}
{%- set cutoff = dbt.dateadd('day', 1, 'cast(' ~ as_of_day ~ ' as ' ~ ts_type ~ ')') -%}
{%- set since_30d = dbt.dateadd('day', -30, cutoff) -%}
{%- set since_90d = dbt.dateadd('day', -90, cutoff) -%}
with

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

crm_customers as (
    select * from {{ ref('int_customers_deduplicated') }}
),

clean_orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

clean_order_items as (
    select * from {{ ref('int_order_items_deduplicated') }}
),

clean_web_events as (
    select * from {{ ref('int_web_events_deduplicated') }}
),

clean_email_events as (
    select * from {{ ref('int_email_events_deduplicated') }}
),

clean_survey_responses as (
    select * from {{ ref('int_survey_responses_deduplicated') }}
),

customer_people as (
    select
        identifier as customer_id,
        person_id
    from identities
    where identifier_type = 'customer_id'
),

anonymous_people as (
    select
        identifier as anonymous_id,
        person_id
    from identities
    where identifier_type = 'anonymous_id'
),

email_people as (
    select
        identifier as email,
        person_id
    from identities
    where identifier_type = 'email'
),

person_customers as (
    select
        customer_people.person_id,
        crm_customers.customer_id,
        crm_customers.signup_at
    from crm_customers
    inner join customer_people
        on crm_customers.customer_id = customer_people.customer_id
    where crm_customers.signup_at is null
        or crm_customers.signup_at < {{ cutoff }}
),

person_orders as (
    select
        clean_orders.person_id,
        clean_orders.order_id,
        clean_orders.order_status,
        clean_orders.order_total,
        clean_orders.discount_amount,
        clean_orders.ordered_at
    from clean_orders
    where clean_orders.ordered_at < {{ cutoff }}
        and clean_orders.person_id is not null
),

completed_orders as (
    select * from person_orders
    where order_status = 'completed'
),

population as (
    select person_id from person_customers
    union
    select person_id from person_orders
),

customer_id_counts as (
    select
        customer_people.person_id,
        count(distinct customer_people.customer_id) as customer_id_count
    from customer_people
    inner join population
        on customer_people.person_id = population.person_id
    group by customer_people.person_id
),

crm_rollup as (
    select
        person_id,
        min(signup_at) as signup_at
    from person_customers
    group by person_id
),

{#- ---------- web behaviour: an event belongs to the person of its customer_id, else of its device -#}
web_events as (
    select
        coalesce(by_customer.person_id, by_device.person_id) as person_id,
        clean_web_events.session_id,
        clean_web_events.event_type,
        clean_web_events.event_at
    from clean_web_events
    left join customer_people as by_customer
        on clean_web_events.customer_id = by_customer.customer_id
    left join anonymous_people as by_device
        on clean_web_events.anonymous_id = by_device.anonymous_id
    where clean_web_events.event_at < {{ cutoff }}
),

web_sessions_90d as (
    select
        person_id,
        session_id,
        max(case when event_type = 'add_to_cart' then 1 else 0 end) as has_add_to_cart,
        max(case when event_type = 'purchase' then 1 else 0 end) as has_purchase
    from web_events
    where event_at >= {{ since_90d }}
        and session_id is not null
    group by person_id, session_id
),

web_rollup as (
    select
        person_id,
        count(distinct case when event_at >= {{ since_30d }} then session_id end) as sessions_30d,
        count(distinct case when event_at >= {{ since_90d }} then session_id end) as sessions_90d,
        sum(case when event_type = 'page_view' and event_at >= {{ since_30d }} then 1 else 0 end) as page_views_30d,
        sum(case when event_type = 'page_view' and event_at >= {{ since_90d }} then 1 else 0 end) as page_views_90d,
        sum(case when event_type = 'product_view' and event_at >= {{ since_30d }} then 1 else 0 end) as product_views_30d,
        sum(case when event_type = 'product_view' and event_at >= {{ since_90d }} then 1 else 0 end) as product_views_90d,
        sum(case when event_type = 'add_to_cart' and event_at >= {{ since_90d }} then 1 else 0 end) as add_to_cart_90d,
        max(event_at) as last_visit_at
    from web_events
    where person_id is not null
    group by person_id
),

abandonment_rollup as (
    select
        person_id,
        sum(case when has_add_to_cart = 1 and has_purchase = 0 then 1 else 0 end) as cart_abandonments_90d
    from web_sessions_90d
    where person_id is not null
    group by person_id
),

{#- ---------- email engagement: by customer_id, else by recipient address -#}
email_events as (
    select
        coalesce(by_customer.person_id, by_email.person_id) as person_id,
        coalesce(clean_email_events.campaign_id, clean_email_events.email_event_id) as campaign_key,
        clean_email_events.event_type
    from clean_email_events
    left join customer_people as by_customer
        on clean_email_events.customer_id = by_customer.customer_id
    left join email_people as by_email
        on clean_email_events.email = by_email.email
    where clean_email_events.event_at < {{ cutoff }}
),

email_rollup as (
    select
        person_id,
        count(distinct case when event_type in ('sent', 'delivered') then campaign_key end) as emails_received,
        count(distinct case when event_type = 'open' then campaign_key end) as emails_opened,
        count(distinct case when event_type = 'click' then campaign_key end) as emails_clicked
    from email_events
    where person_id is not null
    group by person_id
),

{#- ---------- surveys: the latest answer given by then -#}
survey_answers as (
    select
        coalesce(by_customer.person_id, by_email.person_id) as person_id,
        clean_survey_responses.response_id,
        clean_survey_responses.nps_score,
        clean_survey_responses.satisfaction_score,
        clean_survey_responses.submitted_at
    from clean_survey_responses
    left join customer_people as by_customer
        on clean_survey_responses.customer_id = by_customer.customer_id
    left join email_people as by_email
        on clean_survey_responses.email = by_email.email
    where clean_survey_responses.submitted_at < {{ cutoff }}
),

latest_nps as (
    select
        person_id,
        nps_score,
        row_number() over (partition by person_id order by submitted_at desc, response_id desc) as answer_rank
    from survey_answers
    where nps_score is not null and person_id is not null
),

latest_satisfaction as (
    select
        person_id,
        satisfaction_score,
        row_number() over (partition by person_id order by submitted_at desc, response_id desc) as answer_rank
    from survey_answers
    where satisfaction_score is not null and person_id is not null
),

{#- ---------- purchases: completed orders placed by then -#}
order_rollup as (
    select
        person_id,
        count(*) as order_count,
        sum(order_total) as total_revenue,
        sum(discount_amount) as total_discount,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from completed_orders
    group by person_id
),

category_totals as (
    select
        completed_orders.person_id,
        clean_order_items.category,
        sum(clean_order_items.quantity) as units,
        sum(clean_order_items.line_total) as category_revenue
    from clean_order_items
    inner join completed_orders
        on clean_order_items.order_id = completed_orders.order_id
    where clean_order_items.category != 'unknown'
    group by completed_orders.person_id, clean_order_items.category
),

category_ranked as (
    select
        person_id,
        category,
        count(*) over (partition by person_id) as categories_bought,
        row_number() over (
            partition by person_id
            order by units desc, category_revenue desc, category
        ) as category_rank
    from category_totals
),

joined as (
    select
        population.person_id,
        crm_rollup.person_id is not null as has_crm_record,
        coalesce(customer_id_counts.customer_id_count, 0) as customer_id_count,
        crm_rollup.signup_at,
        coalesce(web_rollup.sessions_30d, 0) as sessions_30d,
        coalesce(web_rollup.sessions_90d, 0) as sessions_90d,
        coalesce(web_rollup.page_views_30d, 0) as page_views_30d,
        coalesce(web_rollup.page_views_90d, 0) as page_views_90d,
        coalesce(web_rollup.product_views_30d, 0) as product_views_30d,
        coalesce(web_rollup.product_views_90d, 0) as product_views_90d,
        coalesce(web_rollup.add_to_cart_90d, 0) as add_to_cart_90d,
        coalesce(abandonment_rollup.cart_abandonments_90d, 0) as cart_abandonments_90d,
        web_rollup.last_visit_at,
        coalesce(email_rollup.emails_received, 0) as emails_received,
        coalesce(email_rollup.emails_opened, 0) as emails_opened,
        coalesce(email_rollup.emails_clicked, 0) as emails_clicked,
        latest_nps.nps_score,
        latest_satisfaction.satisfaction_score,
        coalesce(order_rollup.order_count, 0) as order_count,
        coalesce(order_rollup.total_revenue, 0) as total_revenue,
        order_rollup.total_discount,
        order_rollup.first_order_at,
        order_rollup.last_order_at,
        coalesce(category_ranked.categories_bought, 0) as categories_bought,
        category_ranked.category as favourite_category
    from population
    left join crm_rollup
        on population.person_id = crm_rollup.person_id
    left join customer_id_counts
        on population.person_id = customer_id_counts.person_id
    left join web_rollup
        on population.person_id = web_rollup.person_id
    left join abandonment_rollup
        on population.person_id = abandonment_rollup.person_id
    left join email_rollup
        on population.person_id = email_rollup.person_id
    left join latest_nps
        on population.person_id = latest_nps.person_id
        and latest_nps.answer_rank = 1
    left join latest_satisfaction
        on population.person_id = latest_satisfaction.person_id
        and latest_satisfaction.answer_rank = 1
    left join order_rollup
        on population.person_id = order_rollup.person_id
    left join category_ranked
        on population.person_id = category_ranked.person_id
        and category_ranked.category_rank = 1
),

features as (
    select
        person_id,
        {{ as_of_day }} as as_of_date,
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
        {{ dbt.datediff('last_visit_at', as_of_day, 'day') }} as days_since_last_visit,
        emails_received,
        case
            when emails_received > 0 then least(1.0, emails_opened * 1.0 / emails_received)
            else 0.0
        end as email_open_rate,
        case
            when emails_received > 0 then least(1.0, emails_clicked * 1.0 / emails_received)
            else 0.0
        end as email_click_rate,
        nps_score,
        satisfaction_score,
        order_count,
        total_revenue,
        case when order_count > 0 then total_revenue / order_count end as avg_order_value,
        first_order_at,
        last_order_at,
        {{ dbt.datediff('last_order_at', as_of_day, 'day') }} as recency_days,
        {{ dbt.datediff('coalesce(first_order_at, signup_at)', as_of_day, 'day') }} as tenure_days,
        case
            when order_count > 0
                then order_count * 30.0 / greatest({{ dbt.datediff('first_order_at', as_of_day, 'day') }}, 30)
            else 0.0
        end as purchase_frequency,
        case
            when order_count = 0 then null
            when total_revenue + total_discount > 0 then total_discount / (total_revenue + total_discount)
            else 0.0
        end as discount_share,
        categories_bought,
        favourite_category
    from joined
)

select * from features
{% endmacro %}
