{#-
    customer_activity_features(as_of_expr): a select statement with one row per person and as-of
    date and the behaviour and purchase rollups of that person as of that date. `as_of_expr` is
    one SQL date expression (as_of_date(), a literal, a scalar subquery) or a list of them: the
    rows of every date are computed in one statement, so the work that does not depend on the
    date (resolving email events, order lines and web sessions to people) is done once however
    many dates are asked for (int_churn_examples asks for three). Only data known by the end of a
    day counts (event_at < as_of + 1 day), so the
    same call on the same data always gives the same rows and nothing later leaks in.
    customer_profiles uses it (through int_customer_activity) with as_of_date(); the churn
    model calls it with earlier cutoffs. Equal dates in the list give one set of rows.

    Population: people with a clean CRM record that signed up by then (or has no signup date)
    or with at least one clean order placed by then. People are the components of
    int_identities_stitched, so every account, email and device of a person counts for them,
    including browsing before login.

    Exactness of the shortcuts: every window bound is a midnight (the day after the as-of date,
    30 and 90 days before it), so web events rolled up per device, customer id, session and
    calendar day (int_web_sessions_daily: ~3.5x fewer rows than the events, and the
    identity joins run on those rows) give the same counts, distinct sessions and last visit as
    the events; an email campaign counts
    for a date when the person's first event of that kind for it came before the bound.

    Columns (definitions in models/marts/customers/customer_profiles.md):
      person_id, as_of_date, has_crm_record, customer_id_count, signup_at,
      sessions_30d, sessions_90d, page_views_30d, page_views_90d, product_views_30d,
      product_views_90d, add_to_cart_90d, cart_abandonments_90d, last_visit_at,
      days_since_last_visit, emails_received, email_open_rate, email_click_rate, nps_score,
      satisfaction_score, order_count, total_revenue, gross_revenue, revenue_currency,
      unconverted_order_count, avg_order_value, first_order_at,
      last_order_at, recency_days, tenure_days, purchase_frequency, discount_share,
      categories_bought, favourite_category
-#}
{% macro customer_activity_features(as_of_expr) %}
{%- set as_of_exprs = [as_of_expr] if as_of_expr is string else as_of_expr -%}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
{%- set date_type = api.Column.translate_type('date') -%}
{%- set cutoff = dbt.dateadd('day', 1, 'cast(as_of_date as ' ~ ts_type ~ ')') -%}
with

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

crm_customers as (
    select * from {{ ref('int_customers_deduplicated') }}
),

{#- clean orders with what each counts for and its amount in the reporting currency -#}
clean_orders as (
    select * from {{ ref('int_order_revenue') }}
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

{#- ---------- the as-of dates and their bounds (all midnights) -#}
as_of_dates as (
    {% for expr in as_of_exprs %}
    select cast({{ expr }} as {{ date_type }}) as as_of_date
    {{ 'union' if not loop.last }}
    {% endfor %}
),

cutoffs as (
    select
        as_of_date,
        {{ cutoff }} as cutoff_at,
        {{ dbt.dateadd('day', -30, cutoff) }} as since_30d_at,
        {{ dbt.dateadd('day', -90, cutoff) }} as since_90d_at,
        cast({{ cutoff }} as {{ date_type }}) as cutoff_date,
        cast({{ dbt.dateadd('day', -30, cutoff) }} as {{ date_type }}) as since_30d_date,
        cast({{ dbt.dateadd('day', -90, cutoff) }} as {{ date_type }}) as since_90d_date
    from as_of_dates
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
        cutoffs.as_of_date,
        customer_people.person_id,
        crm_customers.customer_id,
        crm_customers.signup_at
    from crm_customers
    inner join customer_people
        on crm_customers.customer_id = customer_people.customer_id
    inner join cutoffs
        on crm_customers.signup_at is null
        or crm_customers.signup_at < cutoffs.cutoff_at
),

{#- orders resolved to people here (int_orders_deduplicated has no person_id) -#}
order_people as (
    select
        customer_people.person_id,
        clean_orders.order_id,
        clean_orders.order_status,
        clean_orders.revenue_kind,
        clean_orders.net_amount,
        clean_orders.discount_in_revenue_currency,
        clean_orders.ordered_at
    from clean_orders
    inner join customer_people
        on clean_orders.customer_id = customer_people.customer_id
),

person_orders as (
    select
        cutoffs.as_of_date,
        order_people.person_id,
        order_people.order_id,
        order_people.order_status,
        order_people.revenue_kind,
        order_people.net_amount,
        order_people.discount_in_revenue_currency,
        order_people.ordered_at
    from order_people
    inner join cutoffs
        on order_people.ordered_at < cutoffs.cutoff_at
),

{#- purchases and refunds: the orders that count (int_order_revenue) -#}
revenue_orders as (
    select * from person_orders
    where revenue_kind in ('purchase', 'refund')
),

population as (
    select as_of_date, person_id from person_customers
    union
    select as_of_date, person_id from person_orders
),

customer_id_counts as (
    select
        population.as_of_date,
        customer_people.person_id,
        count(distinct customer_people.customer_id) as customer_id_count
    from customer_people
    inner join population
        on customer_people.person_id = population.person_id
    group by population.as_of_date, customer_people.person_id
),

crm_rollup as (
    select
        as_of_date,
        person_id,
        min(signup_at) as signup_at
    from person_customers
    group by as_of_date, person_id
),

{#- ---------- web behaviour: from int_web_sessions_daily (clean events already rolled up per device,
    customer id, session and day, ~3.5x fewer rows than the events), resolved to people on those
    rows: an event belongs to the person of its customer_id, else of its device, and both are
    keys of the rollup, so every row belongs to one person. Exact because every bound is a
    midnight. Windowed counts go per (as-of date, person, session) first and then per person, so
    distinct sessions are a plain count (no count(distinct): its per-group sets cannot spill). -#}
web_session_days as (
    select
        coalesce(by_customer.person_id, by_device.person_id) as person_id,
        web_days.session_id,
        web_days.event_date,
        web_days.page_views,
        web_days.product_views,
        web_days.add_to_carts,
        web_days.purchases,
        web_days.last_event_at
    from {{ ref('int_web_sessions_daily') }} as web_days
    left join customer_people as by_customer
        on web_days.customer_id = by_customer.customer_id
    left join anonymous_people as by_device
        on web_days.anonymous_id = by_device.anonymous_id
    where web_days.event_date < (select max(cutoff_date) from cutoffs)
        and coalesce(by_customer.person_id, by_device.person_id) is not null
),

{#- only the 90 days before a cutoff feed the windowed counts -#}
web_window_sessions as (
    select
        cutoffs.as_of_date,
        web_session_days.person_id,
        web_session_days.session_id,
        max(case when web_session_days.event_date >= cutoffs.since_30d_date then 1 else 0 end) as in_30d,
        sum(case when web_session_days.event_date >= cutoffs.since_30d_date then web_session_days.page_views else 0 end) as page_views_30d,
        sum(web_session_days.page_views) as page_views_90d,
        sum(case when web_session_days.event_date >= cutoffs.since_30d_date then web_session_days.product_views else 0 end) as product_views_30d,
        sum(web_session_days.product_views) as product_views_90d,
        sum(web_session_days.add_to_carts) as add_to_carts_90d,
        max(case when web_session_days.add_to_carts > 0 then 1 else 0 end) as has_add_to_cart,
        max(case when web_session_days.purchases > 0 then 1 else 0 end) as has_purchase
    from web_session_days
    inner join cutoffs
        on web_session_days.event_date >= cutoffs.since_90d_date
        and web_session_days.event_date < cutoffs.cutoff_date
    group by cutoffs.as_of_date, web_session_days.person_id, web_session_days.session_id
),

{#- a null session_id is one group here: its views count, it is not a session -#}
web_window_rollup as (
    select
        as_of_date,
        person_id,
        count(case when in_30d = 1 then session_id end) as sessions_30d,
        count(session_id) as sessions_90d,
        sum(page_views_30d) as page_views_30d,
        sum(page_views_90d) as page_views_90d,
        sum(product_views_30d) as product_views_30d,
        sum(product_views_90d) as product_views_90d,
        sum(add_to_carts_90d) as add_to_cart_90d,
        sum(
            case when session_id is not null and has_add_to_cart = 1 and has_purchase = 0 then 1 else 0 end
        ) as cart_abandonments_90d
    from web_window_sessions
    group by as_of_date, person_id
),

{#- the last visit looks at all days before the cutoff -#}
web_rollup as (
    select
        cutoffs.as_of_date,
        web_session_days.person_id,
        max(web_session_days.last_event_at) as last_visit_at
    from web_session_days
    inner join cutoffs
        on web_session_days.event_date < cutoffs.cutoff_date
    group by cutoffs.as_of_date, web_session_days.person_id
),

{#- ---------- email engagement: by customer_id, else by recipient address; one row per person,
    campaign and kind of event with its first time, so a plain count is the distinct count -#}
email_events as (
    select
        coalesce(by_customer.person_id, by_email.person_id) as person_id,
        coalesce(clean_email_events.campaign_id, clean_email_events.email_event_id) as campaign_key,
        case
            when clean_email_events.event_type in ('sent', 'delivered') then 'received'
            when clean_email_events.event_type = 'open' then 'opened'
            when clean_email_events.event_type = 'click' then 'clicked'
        end as event_kind,
        clean_email_events.event_at
    from clean_email_events
    left join customer_people as by_customer
        on clean_email_events.customer_id = by_customer.customer_id
    left join email_people as by_email
        on clean_email_events.email = by_email.email
    where clean_email_events.event_at < (select max(cutoff_at) from cutoffs)
),

email_campaigns as (
    select
        person_id,
        campaign_key,
        event_kind,
        min(event_at) as first_event_at
    from email_events
    where person_id is not null
        and event_kind is not null
    group by person_id, campaign_key, event_kind
),

email_rollup as (
    select
        cutoffs.as_of_date,
        email_campaigns.person_id,
        count(case when email_campaigns.event_kind = 'received' then email_campaigns.campaign_key end) as emails_received,
        count(case when email_campaigns.event_kind = 'opened' then email_campaigns.campaign_key end) as emails_opened,
        count(case when email_campaigns.event_kind = 'clicked' then email_campaigns.campaign_key end) as emails_clicked
    from email_campaigns
    inner join cutoffs
        on email_campaigns.first_event_at < cutoffs.cutoff_at
    group by cutoffs.as_of_date, email_campaigns.person_id
),

{#- ---------- surveys: the latest answer given by then -#}
survey_answers as (
    select
        cutoffs.as_of_date,
        coalesce(by_customer.person_id, by_email.person_id) as person_id,
        clean_survey_responses.response_id,
        clean_survey_responses.nps_score,
        clean_survey_responses.satisfaction_score,
        clean_survey_responses.submitted_at
    from clean_survey_responses
    inner join cutoffs
        on clean_survey_responses.submitted_at < cutoffs.cutoff_at
    left join customer_people as by_customer
        on clean_survey_responses.customer_id = by_customer.customer_id
    left join email_people as by_email
        on clean_survey_responses.email = by_email.email
),

latest_nps as (
    select
        as_of_date,
        person_id,
        nps_score,
        row_number() over (
            partition by as_of_date, person_id
            order by submitted_at desc, response_id desc
        ) as answer_rank
    from survey_answers
    where nps_score is not null and person_id is not null
),

latest_satisfaction as (
    select
        as_of_date,
        person_id,
        satisfaction_score,
        row_number() over (
            partition by as_of_date, person_id
            order by submitted_at desc, response_id desc
        ) as answer_rank
    from survey_answers
    where satisfaction_score is not null and person_id is not null
),

{#- ---------- purchases placed by then, and refunds: net revenue = purchases + refunds
    (negative), in the reporting currency; orders that cannot be converted count as
    purchases but in no revenue figure -#}
order_rollup as (
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
),

{#- order lines of completed orders, resolved to people once -#}
completed_order_lines as (
    select
        order_people.person_id,
        order_people.ordered_at,
        clean_order_items.category,
        clean_order_items.quantity,
        clean_order_items.line_total
    from clean_order_items
    inner join order_people
        on clean_order_items.order_id = order_people.order_id
    where clean_order_items.category != 'unknown'
        and order_people.revenue_kind = 'purchase'
),

category_totals as (
    select
        cutoffs.as_of_date,
        completed_order_lines.person_id,
        completed_order_lines.category,
        sum(completed_order_lines.quantity) as units,
        sum(completed_order_lines.line_total) as category_revenue
    from completed_order_lines
    inner join cutoffs
        on completed_order_lines.ordered_at < cutoffs.cutoff_at
    group by cutoffs.as_of_date, completed_order_lines.person_id, completed_order_lines.category
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

joined as (
    select
        population.person_id,
        population.as_of_date,
        crm_rollup.person_id is not null as has_crm_record,
        coalesce(customer_id_counts.customer_id_count, 0) as customer_id_count,
        crm_rollup.signup_at,
        coalesce(web_window_rollup.sessions_30d, 0) as sessions_30d,
        coalesce(web_window_rollup.sessions_90d, 0) as sessions_90d,
        coalesce(web_window_rollup.page_views_30d, 0) as page_views_30d,
        coalesce(web_window_rollup.page_views_90d, 0) as page_views_90d,
        coalesce(web_window_rollup.product_views_30d, 0) as product_views_30d,
        coalesce(web_window_rollup.product_views_90d, 0) as product_views_90d,
        coalesce(web_window_rollup.add_to_cart_90d, 0) as add_to_cart_90d,
        coalesce(web_window_rollup.cart_abandonments_90d, 0) as cart_abandonments_90d,
        web_rollup.last_visit_at,
        coalesce(email_rollup.emails_received, 0) as emails_received,
        coalesce(email_rollup.emails_opened, 0) as emails_opened,
        coalesce(email_rollup.emails_clicked, 0) as emails_clicked,
        latest_nps.nps_score,
        latest_satisfaction.satisfaction_score,
        coalesce(order_rollup.order_count, 0) as order_count,
        coalesce(order_rollup.total_revenue, 0) as total_revenue,
        coalesce(order_rollup.gross_revenue, 0) as gross_revenue,
        coalesce(order_rollup.converted_order_count, 0) as converted_order_count,
        coalesce(order_rollup.unconverted_order_count, 0) as unconverted_order_count,
        order_rollup.total_discount,
        order_rollup.first_order_at,
        order_rollup.last_order_at,
        coalesce(category_ranked.categories_bought, 0) as categories_bought,
        category_ranked.category as favourite_category
    from population
    left join crm_rollup
        on population.as_of_date = crm_rollup.as_of_date
        and population.person_id = crm_rollup.person_id
    left join customer_id_counts
        on population.as_of_date = customer_id_counts.as_of_date
        and population.person_id = customer_id_counts.person_id
    left join web_rollup
        on population.as_of_date = web_rollup.as_of_date
        and population.person_id = web_rollup.person_id
    left join web_window_rollup
        on population.as_of_date = web_window_rollup.as_of_date
        and population.person_id = web_window_rollup.person_id
    left join email_rollup
        on population.as_of_date = email_rollup.as_of_date
        and population.person_id = email_rollup.person_id
    left join latest_nps
        on population.as_of_date = latest_nps.as_of_date
        and population.person_id = latest_nps.person_id
        and latest_nps.answer_rank = 1
    left join latest_satisfaction
        on population.as_of_date = latest_satisfaction.as_of_date
        and population.person_id = latest_satisfaction.person_id
        and latest_satisfaction.answer_rank = 1
    left join order_rollup
        on population.as_of_date = order_rollup.as_of_date
        and population.person_id = order_rollup.person_id
    left join category_ranked
        on population.as_of_date = category_ranked.as_of_date
        and population.person_id = category_ranked.person_id
        and category_ranked.category_rank = 1
),

features as (
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
        gross_revenue,
        {#- with no order at all, the currency revenue would be reported in: var default_currency -#}
        coalesce(
            (select max(reporting_currency) from {{ ref('int_order_currencies') }}),
            {{ sql_string(var('default_currency')) }}
        ) as revenue_currency,
        unconverted_order_count,
        case when converted_order_count > 0 then total_revenue / converted_order_count end as avg_order_value,
        first_order_at,
        last_order_at,
        {{ dbt.datediff('last_order_at', 'as_of_date', 'day') }} as recency_days,
        {{ dbt.datediff('coalesce(first_order_at, signup_at)', 'as_of_date', 'day') }} as tenure_days,
        case
            when order_count > 0
                then order_count * 30.0 / greatest({{ dbt.datediff('first_order_at', 'as_of_date', 'day') }}, 30)
            else 0.0
        end as purchase_frequency,
        case
            when order_count = 0 then null
            when gross_revenue + total_discount > 0 then total_discount / (gross_revenue + total_discount)
            else 0.0
        end as discount_share,
        categories_bought,
        favourite_category
    from joined
)

select * from features
{% endmacro %}
