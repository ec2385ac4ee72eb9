{#-
    CRM email upload, PARQUET: one folder per segment under
    <export_path>/crm_email/parquet/segment=<segment_type>__<segment_name>/members_0.parquet
    (dbt-duckdb external materialization; DuckDB only). Only people with email consent.
-#}
{{ config(
    materialized='external',
    location=export_location('crm_email', 'parquet'),
    format='parquet',
    options=export_write_options(),
    pre_hook="{{ ensure_export_folder(export_location('crm_email', 'parquet')) }}",
    tags=['realtime', 'activation'],
) }}
with

members as (
    select * from {{ ref('int_activation_crm_email') }}
),

final as (
    select
        segment,
        person_id,
        customer_id,
        email,
        first_name,
        country_code,
        segment_type,
        segment_name,
        reason,
        assigned_at,
        as_of_date
    from members
)

select * from final
