{#- The ad_audiences upload as PARQUET files under <export_path>/ad_audiences/parquet (macros/activation/activation_export.sql). -#}
{{ activation_export('ad_audiences', 'parquet') }}
