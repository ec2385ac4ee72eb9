{#-
    CRM email upload, CSV: one folder per segment under
    <export_path>/crm_email/csv/segment=<segment_type>__<segment_name>/members_0.csv
    (materialization export_files, macros/activation/export_files_materialization.sql;
    DuckDB only). Only people with email consent.
-#}
{{ config(
    materialized='export_files',
    location=export_location('crm_email', 'csv'),
    format='csv',
    partition_by='segment',
    order_by='segment, person_id',
    pre_hook="{{ ensure_export_folder(export_location('crm_email', 'csv')) }}",
    tags=['realtime', 'activation'],
) }}
{{ activation_export_select('crm_email') }}
