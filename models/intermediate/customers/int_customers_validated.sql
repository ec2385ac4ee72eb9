{#-
    Every staged CRM customer row with its country looked up in the seed country_codes (here,
    not in staging, so that staging stays a per-row function of the raw file and incremental)
    and its final dq_reason: staging's own reason, else
      future_timestamp  signup_at or updated_at later than the build's clock + future_tolerance_days
                        (rows after the as-of date but not after the clock stay clean).
-#}
{#- a table: the quarantine, the duplicates report, the audit and deduplication all read it -#}
{{ config(materialized='table') }}

with

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

country_codes as (
    select * from {{ ref('country_codes') }}
),

{# staging's columns by name: a warehouse staged by an older version may still hold a
    country_code column in stg_crm__customers (incremental models keep dropped columns), which
    `customers.*` would carry next to the looked-up one -#}
standardized as (
    select
        customers.customer_id,
        customers.email,
        customers.first_name,
        customers.last_name,
        customers.phone,
        customers.gender,
        customers.country_raw,
        customers.region,
        customers.city,
        customers.income_band,
        customers.birth_date,
        customers.signup_at,
        customers.updated_at,
        customers.has_invalid_email,
        customers.has_invalid_birth_date,
        customers.dq_reason,
        customers._source_file,
        customers._source_row,
        country_codes.country_code
    from customers
    left join country_codes
        on customers.country_key = country_codes.country_alias
),

checked as (
    select
        *,
        case
            when dq_reason is not null then dq_reason
            when signup_at >= {{ future_cutoff() }} or updated_at >= {{ future_cutoff() }} then 'future_timestamp'
        end as final_dq_reason
    from standardized
),

final as (
    select
        customer_id,
        email,
        first_name,
        last_name,
        phone,
        gender,
        country_raw,
        country_code,
        region,
        city,
        income_band,
        birth_date,
        signup_at,
        updated_at,
        has_invalid_email,
        has_invalid_birth_date,
        country_raw is not null and country_code is null as has_unknown_country,
        final_dq_reason as dq_reason,
        _source_file,
        _source_row
    from checked
)

select * from final
