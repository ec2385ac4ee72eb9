{#-
    Ad-platform customer-match upload, CSV: one folder per segment under
    <export_path>/ad_audiences/csv/segment=<segment_type>__<segment_name>/members_0.csv
    (materialization export_files, macros/activation/export_files_materialization.sql;
    DuckDB only). Only people with ads consent, and only
    the SHA-256 of their normalized email: no address, name or id leaves.
-#}
{{ config(
    materialized='export_files',
    location=export_location('ad_audiences', 'csv'),
    format='csv',
    partition_by='segment',
    order_by='segment, email_sha256',
    pre_hook="{{ ensure_export_folder(export_location('ad_audiences', 'csv')) }}",
    tags=['realtime', 'activation'],
) }}
{{ activation_export_select('ad_audiences') }}
