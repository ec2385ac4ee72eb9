{#-
    Clean CRM customers, one row per customer_id: the version with the latest updated_at wins
    (a missing updated_at counts as oldest), ties go to the last landed row (_source_file, then
    _source_row). Versions that differ are reported in dq_duplicates.
-#}
{{ config(materialized='table') }}
{#- the ranking is the source's kept_order in dq_sources(), so that dq_duplicates names the same
    kept row without reading this table -#}
{%- set crm_customers = dq_sources() | selectattr('clean', 'equalto', 'int_customers_deduplicated') | first %}

with

customers as (
    select * from {{ ref('int_customers_validated') }}
    where dq_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by {{ crm_customers.kept_order }}
        ) as version_rank
    from customers
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
        has_unknown_country,
        _source_file,
        _source_row
    from ranked
    where version_rank = 1
)

select * from final
