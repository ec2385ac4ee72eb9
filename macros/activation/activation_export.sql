{#-
    activation_export(destination, file_format): the whole definition of an export model
    (models/marts/activation/export_<destination>_<file_format>.sql calls it and nothing else).

    The rows are activation_export_select(destination): the columns the destination receives,
    in file order, ordered by activation_export_order(destination) within each segment.

    - On DuckDB the model is materialized `export_files`
      (macros/activation/export_files_materialization.sql): the files are written to
      export_location(destination, file_format), one folder per segment, and the model's
      relation is a view over them, so its tests read back what was written.
    - On every other engine it is a plain table of the same rows and columns, built and tested
      like any model; the files are written after the build by `audience export`
      (audience/exporter.py, docs/engines.md), which reads these tables through the engine.
-#}
{% macro activation_export(destination, file_format) %}
    {%- if target.type == 'duckdb' -%}
        {{ config(
            materialized='export_files',
            location=export_location(destination, file_format),
            format=file_format,
            partition_by='segment',
            order_by=activation_export_order(destination),
            pre_hook="{{ ensure_export_folder(export_location('" ~ destination ~ "', '" ~ file_format ~ "')) }}",
            tags=['realtime', 'activation'],
        ) }}
    {%- else -%}
        {{ config(materialized='table', tags=['realtime', 'activation']) }}
    {%- endif %}
{{ activation_export_select(destination) }}
{%- endmacro %}


{#- activation_export_order(destination): the order of the rows in every file of a destination. -#}
{% macro activation_export_order(destination) -%}
    {{- return({'crm_email': 'segment, person_id', 'ad_audiences': 'segment, email_sha256'}[destination]) -}}
{%- endmacro %}
