{#-
    CRM email upload, CSV: one folder per segment under
    <export_path>/crm_email/csv/segment=<segment_type>__<segment_name>/members_0.csv
    (dbt-duckdb external materialization; DuckDB only). Only people with email consent.
-#}
{{ config(
    materialized='external',
    location=export_location('crm_email', 'csv'),
    format='csv',
    options=export_write_options(),
    pre_hook="{{ ensure_export_folder(export_location('crm_email', 'csv')) }}",
    tags=['realtime', 'activation'],
) }}
{{ activation_export_select('crm_email') }}
