{#-
    The manifest of the activation files, written beside them as <export_path>/manifest.csv:
    one row per file (destination, format, segment) with its row count, the segment's
    definition and the time it was generated.

    On DuckDB the export models have written their files during the build: this model lists
    them with read_csv / read_parquet(filename = true) and counts the rows read back from each
    file, and a post-hook (macro write_csv_file) writes the table to manifest.csv in the CSV
    dialect of the export files. On every other engine the export models are tables and the
    files are written after the build by `audience export` (docs/engines.md): this model
    counts each export table's rows per segment and names the file that step writes for it
    (the same path as on DuckDB), and `audience export` writes manifest.csv and checks each
    file's rows against it.

    A destination with nothing to export has no file and no row here; with nothing exported at
    all, manifest.csv holds its header only.
-#}
-- depends_on: {{ ref('export_crm_email_csv') }}
-- depends_on: {{ ref('export_crm_email_parquet') }}
-- depends_on: {{ ref('export_ad_audiences_csv') }}
-- depends_on: {{ ref('export_ad_audiences_parquet') }}
{%- if target.type == 'duckdb' %}
{{ config(
    materialized='table',
    pre_hook="{{ ensure_export_folder(export_path() ~ '/manifest.csv') }}",
    post_hook="{{ write_csv_file(this, export_path() ~ '/manifest.csv') }}",
    tags=['realtime', 'activation'],
) }}
{%- else %}
{{ config(materialized='table', tags=['realtime', 'activation']) }}
{%- endif %}
{%- set exports = [
    ('crm_email', 'csv', 'crm'),
    ('crm_email', 'parquet', 'crm'),
    ('ad_audiences', 'csv', 'ads'),
    ('ad_audiences', 'parquet', 'ads'),
] -%}
with

definitions as (
    select * from {{ ref('segment_definitions') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

files as (
    select
        cast(null as {{ dbt.type_string() }}) as destination,
        cast(null as {{ dbt.type_string() }}) as file_format,
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(null as {{ dbt.type_string() }}) as file_path,
        cast(null as {{ dbt.type_string() }}) as segment,
        cast(null as {{ dbt.type_bigint() }}) as row_count
    where false
    {% for destination, file_format, platform in exports %}
    {%- if target.type == 'duckdb' %}
    {%- set glob = export_location(destination, file_format) ~ '/*/*.' ~ file_format -%}
    {%- if export_files_exist(glob) %}
    {%- if file_format == 'csv' -%}
        {%- set reader = "read_csv(" ~ sql_string(glob) ~ ", filename = true, header = true, all_varchar = true, "
            ~ "delim = ',', quote = '\"', escape = '\"', hive_partitioning = false)" -%}
    {%- else -%}
        {%- set reader = "read_parquet(" ~ sql_string(glob) ~ ", filename = true, hive_partitioning = false)" -%}
    {%- endif %}
    union all
    select
        '{{ destination }}' as destination,
        '{{ file_format }}' as file_format,
        '{{ platform }}' as platform,
        filename as file_path,
        regexp_extract(filename, 'segment=([^/]+)/', 1) as segment,
        count(*) as row_count
    from {{ reader }}
    group by filename
    {%- endif %}
    {%- else %}
    union all
    select
        '{{ destination }}' as destination,
        '{{ file_format }}' as file_format,
        '{{ platform }}' as platform,
        concat({{ sql_string(export_location(destination, file_format) ~ '/segment=') }}, segment,
            {{ sql_string('/members_0.' ~ file_format) }}) as file_path,
        segment,
        count(*) as row_count
    from {{ ref('export_' ~ destination ~ '_' ~ file_format) }}
    group by segment
    {%- endif %}
    {% endfor %}
),

final as (
    select
        files.destination,
        files.file_format,
        files.platform,
        files.segment,
        definitions.segment_type,
        definitions.segment_name,
        files.row_count,
        files.file_path,
        definitions.description,
        definitions.definition,
        case files.platform
            when 'crm' then 'people with email consent; normalized email in clear'
            else 'people with ads consent; SHA-256 of the normalized email only'
        end as audience_rule,
        as_of.as_of_date,
        cast({{ dbt.current_timestamp() }} as {{ api.Column.translate_type('timestamp') }}) as generated_at
    from files
    cross join as_of
    left join definitions
        on files.segment = {{ activation_segment_key('definitions.segment_type', 'definitions.segment_name') }}
)

select * from final
order by destination, file_format, segment
