{#- The crm_email upload as PARQUET files under <export_path>/crm_email/parquet (macros/activation/activation_export.sql). -#}
{{ activation_export('crm_email', 'parquet') }}
