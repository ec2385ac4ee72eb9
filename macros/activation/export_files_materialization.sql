{#-
    Materialization `export_files` (DuckDB only): the activation files of one export model.

        {{ config(materialized='export_files', location=..., format='csv' | 'parquet',
                  partition_by='segment', order_by='segment, person_id') }}

    1. COPY the model's query straight to `location`, one folder per value of `partition_by`
       (`<location>/<partition_by>=<value>/members_<i>.<format>`, the partition column kept in
       the file; old files replaced). DuckDB's partitioned COPY does not keep the order of its
       input within a partition file, so each written file is then rewritten sorted by
       `order_by` (a plain COPY keeps it) and renamed over itself: a build writes the same file
       content from the same rows. CSV files are comma-separated with a header; a
       value holding a comma, a double quote or a line break is written in double quotes with
       its quotes doubled (RFC 4180), so every value reads back as written with a CSV parser.
    2. A query returning no rows writes no file: the COPY with `overwrite` removes the old
       files and nothing stands in for the missing rows, so neither a reader of the folder nor
       export_manifest finds a placeholder to count.
    3. The model's relation is a view over the written files, with the query's own column types
       (CSV is read with them and with the dialect it was written in, not sniffed), so tests and
       export_manifest read what was written; with no file it is an empty view of the same
       columns.

    dbt-duckdb's `external` materialization first copies the query into a staging table, counts
    it, and only then writes the files; at 1M customers that copy of the CRM upload costs more
    than the write itself.
-#}
{% materialization export_files, adapter='duckdb' %}
    {%- set location = config.require('location') -%}
    {%- set file_format = config.require('format') | lower -%}
    {%- if file_format not in ['csv', 'parquet'] -%}
        {{ exceptions.raise_compiler_error(model.name ~ ': export_files writes csv or parquet, not ' ~ file_format) }}
    {%- endif -%}
    {%- set partition_by = config.require('partition_by') -%}
    {%- set order_by = config.get('order_by', partition_by) -%}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set location_sql = location | replace("'", "''") -%}
    {%- set write_options -%}
        format {{ file_format }}, partition_by ({{ partition_by }}), overwrite true,
        filename_pattern 'members_{i}', write_partition_columns true
        {%- if file_format == 'csv' %}, header true, delim ',', quote '"', escape '"'{% endif %}
    {%- endset -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% call statement('write_files', fetch_result=True) -%}
        copy (
            select * from (
                {{ sql }}
            ) as export_rows
            order by {{ order_by }}
        ) to '{{ location_sql }}' ({{ write_options }})
    {%- endcall %}
    {%- set written = load_result('write_files').table.columns[0].values()[0] -%}

    {%- set glob = location_sql ~ '/*/*.' ~ file_format -%}
    {%- if written > 0 -%}
        {%- set files = run_query("select file from glob('" ~ glob ~ "') order by file").columns[0].values() -%}
        {%- for file in files -%}
            {%- set file_sql = file | replace("'", "''") -%}
            {%- if file_format == 'csv' -%}
                {%- set dq = '"' -%}
                {%- set file_reader = "read_csv('" ~ file_sql ~ "', header = true, delim = ',', quote = '" ~ dq
                    ~ "', escape = '" ~ dq ~ "', all_varchar = true, hive_partitioning = false)" -%}
            {%- else -%}
                {%- set file_reader = "read_parquet('" ~ file_sql ~ "', hive_partitioning = false)" -%}
            {%- endif -%}
            {% call statement('sort_file_' ~ loop.index) -%}
                copy (select * from {{ file_reader }} order by {{ order_by }})
                to '{{ file_sql }}.sorted' (format {{ file_format }}
                {%- if file_format == 'csv' %}, header true, delim ',', quote '"', escape '"'{% endif %})
            {%- endcall %}
            {% call statement('rename_file_' ~ loop.index) -%}
                select audience_replace_file('{{ file_sql }}.sorted', '{{ file_sql }}')
            {%- endcall %}
        {%- endfor -%}
    {%- endif -%}
    {#- the file columns and their types, from the query itself (Parquet files carry theirs) -#}
    {%- set columns = get_column_schema_from_query(sql) -%}
    {%- if written == 0 -%}
        {%- set empty_columns = [] -%}
        {%- for column in columns -%}
            {%- do empty_columns.append('cast(null as ' ~ column.data_type ~ ') as ' ~ adapter.quote(column.name)) -%}
        {%- endfor -%}
        {%- set reader = '(select ' ~ empty_columns | join(', ') ~ ' where false) as no_rows' -%}
    {%- elif file_format == 'csv' -%}
        {%- set reader -%}
            read_csv('{{ glob }}', header = true, delim = ',', quote = '"', escape = '"',
                hive_partitioning = false, auto_detect = false, columns = {
                {%- for column in columns %}
                '{{ column.name | replace("'", "''") }}': '{{ column.data_type }}'{{ ',' if not loop.last }}
                {%- endfor %}
            })
        {%- endset -%}
    {%- else -%}
        {%- set reader = "read_parquet('" ~ glob ~ "', hive_partitioning = false)" -%}
    {%- endif -%}

    {% if existing_relation is not none and existing_relation.type != 'view' %}
        {{ drop_relation_if_exists(existing_relation) }}
    {% endif %}
    {% call statement('main') -%}
        create or replace view {{ target_relation }} as
        select * from {{ reader }}
    {%- endcall %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
