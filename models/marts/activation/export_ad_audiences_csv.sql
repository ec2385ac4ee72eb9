{#- The ad_audiences upload as CSV files under <export_path>/ad_audiences/csv (macros/activation/activation_export.sql). -#}
{{ activation_export('ad_audiences', 'csv') }}
