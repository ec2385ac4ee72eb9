{#-
    One row per person (identity-stitched) who has a CRM record or at least one clean order, as
    of the as-of date: CRM attributes, web/email/survey behaviour, purchases, RFM and consent.
    Column meanings: customer_profiles.yml; longer definitions: customer_profiles.md.
-#}
{{ config(materialized='table') }}

with

activity as (
    select * from {{ ref('int_customer_activity') }}
),

rfm as (
    select * from {{ ref('int_customer_rfm') }}
),

consent as (
    select * from {{ ref('int_customer_consent') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

crm_customers as (
    select * from {{ ref('int_customers_deduplicated') }}
),

{# the person's current CRM record: the most recently updated one, ties to the smaller id -#}
person_records as (
    select
        identities.person_id,
        crm_customers.*,
        row_number() over (
            partition by identities.person_id
            order by
                case when crm_customers.updated_at is null then 1 else 0 end,
                crm_customers.updated_at desc,
                crm_customers.customer_id
        ) as record_rank
    from crm_customers
    inner join identities
        on identities.identifier_type = 'customer_id'
        and crm_customers.customer_id = identities.identifier
    where crm_customers.signup_at is null
        or crm_customers.signup_at < {{ as_of_timestamp() }}
),

primary_records as (
    select * from person_records
    where record_rank = 1
),

person_identifiers as (
    select
        person_id,
        min(case when identifier_type = 'customer_id' then identifier end) as smallest_customer_id,
        min(case when identifier_type = 'email' then identifier end) as smallest_email
    from identities
    group by person_id
),

profiles as (
    select
        activity.person_id,
        coalesce(primary_records.customer_id, person_identifiers.smallest_customer_id) as primary_customer_id,
        activity.customer_id_count,
        coalesce(primary_records.email, person_identifiers.smallest_email) as email,
        primary_records.first_name,
        coalesce(primary_records.gender, 'unknown') as gender,
        primary_records.birth_date,
        case
            when primary_records.birth_date <= activity.as_of_date
                then cast(floor({{ dbt.datediff('primary_records.birth_date', 'activity.as_of_date', 'day') }} / 365.25) as {{ dbt.type_int() }})
        end as age_years,
        primary_records.country_code,
        primary_records.region,
        primary_records.city,
        primary_records.income_band,
        activity.signup_at,
        activity.sessions_30d,
        activity.sessions_90d,
        activity.page_views_30d,
        activity.page_views_90d,
        activity.product_views_30d,
        activity.product_views_90d,
        activity.add_to_cart_90d,
        activity.cart_abandonments_90d,
        activity.last_visit_at,
        activity.days_since_last_visit,
        activity.email_open_rate,
        activity.email_click_rate,
        activity.nps_score,
        activity.satisfaction_score,
        activity.order_count,
        activity.total_revenue,
        activity.gross_revenue,
        activity.revenue_currency,
        activity.unconverted_order_count,
        activity.avg_order_value,
        activity.first_order_at,
        activity.last_order_at,
        activity.recency_days,
        activity.tenure_days,
        activity.purchase_frequency,
        activity.discount_share,
        activity.categories_bought,
        activity.favourite_category,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_score,
        rfm.rfm_segment,
        coalesce(consent.email_consent, {{ 'true' if var('consent_default') else 'false' }}) as has_email_consent,
        coalesce(consent.sms_consent, {{ 'true' if var('consent_default') else 'false' }}) as has_sms_consent,
        coalesce(consent.ads_consent, {{ 'true' if var('consent_default') else 'false' }}) as has_ads_consent,
        activity.has_crm_record,
        activity.emails_received,
        activity.as_of_date
    from activity
    left join primary_records
        on activity.person_id = primary_records.person_id
    left join person_identifiers
        on activity.person_id = person_identifiers.person_id
    left join rfm
        on activity.person_id = rfm.person_id
    left join consent
        on activity.person_id = consent.person_id
),

final as (
    select
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(primary_customer_id as {{ dbt.type_string() }}) as primary_customer_id,
        cast(customer_id_count as {{ dbt.type_int() }}) as customer_id_count,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(gender as {{ dbt.type_string() }}) as gender,
        cast(birth_date as date) as birth_date,
        cast(age_years as {{ dbt.type_int() }}) as age_years,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(city as {{ dbt.type_string() }}) as city,
        cast(income_band as {{ dbt.type_string() }}) as income_band,
        cast(signup_at as {{ api.Column.translate_type('timestamp') }}) as signup_at,
        cast(sessions_30d as {{ dbt.type_int() }}) as sessions_30d,
        cast(sessions_90d as {{ dbt.type_int() }}) as sessions_90d,
        cast(page_views_30d as {{ dbt.type_int() }}) as page_views_30d,
        cast(page_views_90d as {{ dbt.type_int() }}) as page_views_90d,
        cast(product_views_30d as {{ dbt.type_int() }}) as product_views_30d,
        cast(product_views_90d as {{ dbt.type_int() }}) as product_views_90d,
        cast(add_to_cart_90d as {{ dbt.type_int() }}) as add_to_cart_90d,
        cast(cart_abandonments_90d as {{ dbt.type_int() }}) as cart_abandonments_90d,
        cast(last_visit_at as {{ api.Column.translate_type('timestamp') }}) as last_visit_at,
        cast(days_since_last_visit as {{ dbt.type_int() }}) as days_since_last_visit,
        cast(email_open_rate as {{ type_double() }}) as email_open_rate,
        cast(email_click_rate as {{ type_double() }}) as email_click_rate,
        cast(nps_score as {{ dbt.type_int() }}) as nps_score,
        cast(satisfaction_score as {{ dbt.type_int() }}) as satisfaction_score,
        cast(order_count as {{ dbt.type_int() }}) as order_count,
        cast(total_revenue as {{ type_double() }}) as total_revenue,
        cast(gross_revenue as {{ type_double() }}) as gross_revenue,
        cast(revenue_currency as {{ dbt.type_string() }}) as revenue_currency,
        cast(unconverted_order_count as {{ dbt.type_int() }}) as unconverted_order_count,
        cast(avg_order_value as {{ type_double() }}) as avg_order_value,
        cast(first_order_at as {{ api.Column.translate_type('timestamp') }}) as first_order_at,
        cast(last_order_at as {{ api.Column.translate_type('timestamp') }}) as last_order_at,
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(tenure_days as {{ dbt.type_int() }}) as tenure_days,
        cast(purchase_frequency as {{ type_double() }}) as purchase_frequency,
        cast(discount_share as {{ type_double() }}) as discount_share,
        cast(categories_bought as {{ dbt.type_int() }}) as categories_bought,
        cast(favourite_category as {{ dbt.type_string() }}) as favourite_category,
        cast(r_score as {{ dbt.type_int() }}) as r_score,
        cast(f_score as {{ dbt.type_int() }}) as f_score,
        cast(m_score as {{ dbt.type_int() }}) as m_score,
        cast(rfm_score as {{ dbt.type_string() }}) as rfm_score,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(has_email_consent as {{ dbt.type_boolean() }}) as has_email_consent,
        cast(has_sms_consent as {{ dbt.type_boolean() }}) as has_sms_consent,
        cast(has_ads_consent as {{ dbt.type_boolean() }}) as has_ads_consent,
        cast(has_email_consent as {{ dbt.type_boolean() }}) as has_marketing_consent,
        cast(has_crm_record as {{ dbt.type_boolean() }}) as has_crm_record,
        cast(emails_received as {{ dbt.type_int() }}) as emails_received,
        cast(as_of_date as date) as as_of_date
    from profiles
)

select * from final
