{#-
    CRM email upload, PARQUET: one folder per segment under
    <export_path>/crm_email/parquet/segment=<segment_type>__<segment_name>/members_0.parquet
    (materialization export_files, macros/activation/export_files_materialization.sql;
    DuckDB only). Only people with email consent.
-#}
{{ config(
    materialized='export_files',
    location=export_location('crm_email', 'parquet'),
    format='parquet',
    partition_by='segment',
    order_by='segment, person_id',
    pre_hook="{{ ensure_export_folder(export_location('crm_email', 'parquet')) }}",
    tags=['realtime', 'activation'],
) }}
{{ activation_export_select('crm_email') }}
