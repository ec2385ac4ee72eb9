{#-
    Behaviour and purchase rollups of every person as of the build's as-of date: the rows of
    int_activity_features at as_of_date(). The churn examples read the same model at earlier
    cut-offs, so training features and scoring features are computed by one piece of SQL.
-#}
{{ config(materialized='table') }}

with

features as (
    select * from {{ ref('int_activity_features') }}
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
        days_since_last_visit,
        emails_received,
        email_open_rate,
        email_click_rate,
        nps_score,
        satisfaction_score,
        order_count,
        total_revenue,
        gross_revenue,
        revenue_currency,
        unconverted_order_count,
        avg_order_value,
        first_order_at,
        last_order_at,
        recency_days,
        tenure_days,
        purchase_frequency,
        discount_share,
        categories_bought,
        favourite_category
    from features
    where as_of_date = {{ as_of_date() }}
)

select * from final
