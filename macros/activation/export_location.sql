{#-
    export_path(): the folder activation files are written to: var `export_path`, else the
    environment variable AUDIENCE_EXPORT_PATH, else `exports` (relative to where dbt runs).

    export_location(destination, file_format): <export_path>/<destination>/<file_format>, the
    folder of one export model; the export_files materialization writes one sub-folder per
    segment into it (segment=<segment_type>__<segment_name>/members_0.<file_format>).
-#}
{% macro export_path() %}
    {%- set path = var('export_path', none) or env_var('AUDIENCE_EXPORT_PATH', 'exports') -%}
    {{- return(path.rstrip('/')) -}}
{% endmacro %}


{% macro export_location(destination, file_format) %}
    {{- return(export_path() ~ '/' ~ destination ~ '/' ~ file_format) -}}
{% endmacro %}


{#-
    activation_segment_key(type_expr, name_expr): the segment's folder name in the exports,
    '<segment_type>__<segment_name>' lower-cased with anything but a-z, 0-9 and _ replaced by _
    (cluster personas may carry blanks). DuckDB needs the 'g' flag to replace every match;
    Spark's regexp_replace replaces every match and takes no flag.
-#}
{% macro activation_segment_key(type_expr, name_expr) -%}
    {{ return(adapter.dispatch('activation_segment_key', 'audience')(type_expr, name_expr)) }}
{%- endmacro %}

{% macro default__activation_segment_key(type_expr, name_expr) -%}
    regexp_replace(lower({{ type_expr }} || '__' || {{ name_expr }}), '[^a-z0-9_]+', '_', 'g')
{%- endmacro %}

{% macro spark__activation_segment_key(type_expr, name_expr) -%}
    regexp_replace(lower({{ type_expr }} || '__' || {{ name_expr }}), '[^a-z0-9_]+', '_')
{%- endmacro %}


{#-
    ensure_export_folder(location): creates the parent folders of `location` (DuckDB's COPY
    creates only the last level of a partitioned target). DuckDB has no mkdir, so each missing
    level is made by an empty partitioned COPY, which creates the folder and writes no file.
    Used as a pre-hook of the export models; returns a no-op statement.
-#}
{% macro ensure_export_folder(location) %}
    {% if execute %}
        {% set parts = location.rstrip('/').split('/') %}
        {% for i in range(1, parts | length) %}
            {% set prefix = parts[:i] | join('/') %}
            {% if prefix not in ['', '.', '..'] and not prefix.endswith('/..') %}
                {% do run_query(
                    "copy (select 1 as level_key, 1 as level_value where 1 = 0) to '" ~ prefix | replace("'", "''")
                    ~ "' (format csv, partition_by (level_key), overwrite_or_ignore true)"
                ) %}
            {% endif %}
        {% endfor %}
    {% endif %}
    {{ return('select 1 as export_folder_ready') }}
{% endmacro %}


{#- export_segment_type_filter(column): SQL condition keeping the segment types of var `export_segment_types`. -#}
{% macro export_segment_type_filter(column) -%}
    {%- set types = var('export_segment_types') or [] -%}
    {%- if types | length == 0 -%}
        1 = 0
    {%- else -%}
        {{ column }} in ({% for t in types %}{{ sql_string(t) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}


{#-
    activation_export_select(destination): the body of an export model, the same for its CSV
    and Parquet files: the columns of `int_activation_<destination>` that the destination
    receives, in file order. crm_email is first-party (address, name, ids); ad_audiences gets
    only the segment and the SHA-256 of the normalized email.
-#}
{% macro activation_export_select(destination) %}
{%- set file_columns = {
    'crm_email': ['segment', 'person_id', 'customer_id', 'email', 'first_name', 'country_code',
                  'segment_type', 'segment_name', 'reason', 'assigned_at', 'as_of_date'],
    'ad_audiences': ['segment', 'email_sha256'],
} -%}
with

members as (
    select * from {{ ref('int_activation_' ~ destination) }}
),

final as (
    select
        {%- for column in file_columns[destination] %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from members
)

select * from final
{%- endmacro %}


{#-
    export_files_exist(glob): whether any file matches `glob` now (DuckDB's glob()); false
    while dbt parses. export_manifest reads a destination's files only when there are some.
-#}
{% macro export_files_exist(glob) %}
    {% if not execute %}{{ return(false) }}{% endif %}
    {% set n = run_query('select count(*) from glob(' ~ sql_string(glob) ~ ')').columns[0].values()[0] %}
    {{ return(n > 0) }}
{% endmacro %}


{#-
    write_csv_file(relation, path): a statement that writes `relation` to the CSV file `path`
    with a header (a header only when it has no rows), comma-separated, values with a comma,
    quote or line break in double quotes with quotes doubled. Used as a post-hook.
-#}
{% macro write_csv_file(relation, path) %}
    {{ return("copy (select * from " ~ relation ~ ") to " ~ sql_string(path)
        ~ " (format csv, header true, delim ',', quote '\"', escape '\"')") }}
{% endmacro %}
