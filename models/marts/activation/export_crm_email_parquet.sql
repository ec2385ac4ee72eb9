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
{{ activation_export_select('crm_email') }}
