{#- The crm_email upload as CSV files under <export_path>/crm_email/csv (macros/activation/activation_export.sql). -#}
{{ activation_export('crm_email', 'csv') }}
