{#-
    Relations the landing hook creates beside the raw tables (DuckDB only). They are not dbt
    sources: on another warehouse, or before the hook ever ran, they do not exist, and the
    quality models then read an empty relation of the same shape instead.
-#}

{#- raw_rejects(source_name, table_name): lines of the source's files the CSV reader rejected. -#}
{% macro raw_rejects(source_name, table_name) %}
    {%- set src = source(source_name, table_name) -%}
    {%- set relation = none -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=src.database, schema=src.schema, identifier=src.identifier ~ '__rejects'
        ) -%}
    {%- endif -%}
    {%- if relation is not none -%}
        (
            select
                _source_file,
                cast(line_number as {{ dbt.type_bigint() }}) as line_number,
                cast(error_type as {{ dbt.type_string() }}) as error_type,
                cast(error_message as {{ dbt.type_string() }}) as error_message,
                cast(raw_line as {{ dbt.type_string() }}) as raw_line
            from {{ relation }}
        )
    {%- else -%}
        (
            select
                cast(null as {{ dbt.type_string() }}) as _source_file,
                cast(null as {{ dbt.type_bigint() }}) as line_number,
                cast(null as {{ dbt.type_string() }}) as error_type,
                cast(null as {{ dbt.type_string() }}) as error_message,
                cast(null as {{ dbt.type_string() }}) as raw_line
            where 1 = 0
        )
    {%- endif -%}
{% endmacro %}


{#- raw_file_ledger(): the hook's ledger of landed files (raw._audience_files), or an empty relation. -#}
{% macro raw_file_ledger() %}
    {%- set relation = none -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema=var('raw_schema', 'raw'), identifier='_audience_files'
        ) -%}
    {%- endif -%}
    {%- if relation is not none -%}
        (
            select
                source_table,
                file_path,
                cast(file_size as {{ dbt.type_bigint() }}) as file_size,
                cast(rows_loaded as {{ dbt.type_bigint() }}) as rows_loaded,
                cast(rows_rejected as {{ dbt.type_bigint() }}) as rows_rejected,
                checksum,
                encoding,
                header_notes,
                loaded_at
            from {{ relation }}
        )
    {%- else -%}
        (
            select
                cast(null as {{ dbt.type_string() }}) as source_table,
                cast(null as {{ dbt.type_string() }}) as file_path,
                cast(null as {{ dbt.type_bigint() }}) as file_size,
                cast(null as {{ dbt.type_bigint() }}) as rows_loaded,
                cast(null as {{ dbt.type_bigint() }}) as rows_rejected,
                cast(null as {{ dbt.type_string() }}) as checksum,
                cast(null as {{ dbt.type_string() }}) as encoding,
                cast(null as {{ dbt.type_string() }}) as header_notes,
                cast(null as {{ api.Column.translate_type('timestamp') }}) as loaded_at
            where 1 = 0
        )
    {%- endif -%}
{% endmacro %}


{#-
    json_text(columns, alias): a JSON-like text of the given columns of one row, e.g.
    {"order_id": "O1", "order_total": null}, for the quarantine's raw_values. Portable: built
    with dbt.concat and dbt.replace, quotes and backslashes escaped.
-#}
{% macro json_text(columns, alias=none) %}
    {%- set parts = ["'{'"] -%}
    {%- for c in columns -%}
        {%- set ref_col = (alias ~ '.' if alias else '') ~ adapter.quote(c) -%}
        {%- set escaped = dbt.replace(dbt.replace(ref_col, sql_string('\\'), sql_string('\\\\')),
                                      sql_string('"'), sql_string('\\"')) -%}
        {%- do parts.append("'" ~ ('' if loop.first else ', ') ~ '"' ~ c ~ '": ' ~ "'") -%}
        {%- do parts.append("coalesce(" ~ dbt.concat(["'\"'", escaped, "'\"'"]) ~ ", 'null')") -%}
    {%- endfor -%}
    {%- do parts.append("'}'") -%}
    {{ dbt.concat(parts) }}
{% endmacro %}
