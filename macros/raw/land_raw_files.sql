{#-
    Landing of raw files (DuckDB only).

    `land_raw_files()` runs as an on-run-start hook. For every source table whose YAML carries
    `meta.raw_file`, it makes the matching files from the raw folder (see docs/data_contract.md)
    readable as `<raw_schema>.<identifier>`: every declared column as text, plus `_source_file`,
    `_source_row` (1-based position of the row among the file's parsed rows) and `_loaded_at`.

    How (issue 7, docs/benchmarks.md "Landing at 1M"):
      - CSV files are read once and inserted into the table `<identifier>__csv_rows`. Lines the
        CSV reader cannot parse (wrong column count, bad encoding, ...) go to
        `<identifier>__rejects` with the reader's error, so no raw line is lost without a trace.
      - Parquet files are not copied ("zero-copy" landing): the hook checks their columns and
        records them in the ledger, and `<identifier>` is a VIEW: the CSV rows table union all
        one `read_parquet(file, file_row_number = true)` branch per landed Parquet file, each
        column cast to varchar, `_source_file` and `_loaded_at` as constants of the branch. A
        filter on `_source_file` (incremental staging) thus skips whole files without scanning
        them (DuckDB still reads each file's footer when it binds the view). Copying 110M web events of the 1M dataset into DuckDB took minutes; the view costs
        nothing at landing and a few seconds per full scan.
      The view reads the files at query time: a landed Parquet file must stay in place (as it
      is, or the next run re-lands it) until the build has read it, and a relative raw path
      resolves against the working directory, as it does for the hook.

    Loading is incremental by file: a ledger `_audience_files` remembers each file's size and
    modification time; only new or changed files are read, files that disappeared are unloaded,
    and the view is rebuilt from the ledger on every run. `--full-refresh` reloads everything.
    On other adapters the hook does nothing: the sources are tables loaded by your EL tool.
-#}

{% macro land_raw_files() %}
    {% if not execute or target.type != 'duckdb' or not var('land_raw_files', true) %}
        {{ return('') }}
    {% endif %}
    {% set raw_schema = var('raw_schema', 'raw') %}
    {% do run_query('create schema if not exists ' ~ raw_schema) %}
    {% do run_query(
        'create table if not exists ' ~ raw_schema ~ '._audience_files ('
        ~ 'source_table varchar, file_path varchar, file_size bigint, modified_at timestamp, '
        ~ 'rows_loaded bigint, rows_rejected bigint, loaded_at timestamp, select_list varchar)'
    ) %}
    {#- ledgers written before zero-copy Parquet landing lack the column of the view's branch -#}
    {% do run_query('alter table ' ~ raw_schema ~ '._audience_files add column if not exists select_list varchar') %}
    {% for src in graph.sources.values() if src.meta.get('raw_file') %}
        {% do _land_raw_source(src, raw_schema) %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}


{% macro raw_path() %}
    {%- set path = var('raw_path', none) or env_var('AUDIENCE_RAW_PATH', 'data/raw') -%}
    {{- return(path.rstrip('/')) -}}
{% endmacro %}


{% macro _land_raw_source(src, raw_schema) %}
    {% set stem = src.meta['raw_file'] %}
    {% set relation = raw_schema ~ '.' ~ src.identifier %}
    {% set rows_table = raw_schema ~ '.' ~ src.identifier ~ '__csv_rows' %}
    {% set rejects = raw_schema ~ '.' ~ src.identifier ~ '__rejects' %}
    {% set declared = src.columns.keys() | list %}
    {% set required = [] %}
    {% for name, col in src.columns.items() if col.meta.get('required') %}
        {% do required.append(name) %}
    {% endfor %}
    {% set label = src.source_name ~ '.' ~ src.name %}
    {% set base = raw_path() %}

    {#- files present now -#}
    {% set present = _glob_files(base, stem) %}

    {#- (re)create the landing tables when missing, on --full-refresh, when the contract changed,
        or when raw.<identifier> is still the table of the copy-everything landing -#}
    {% set col_defs = [] %}
    {% for name in declared %}{% do col_defs.append(adapter.quote(name) ~ ' varchar') %}{% endfor %}
    {% set ddl = 'create table ' ~ rows_table ~ ' (' ~ col_defs | join(', ')
        ~ ', _source_file varchar, _source_row bigint, _loaded_at timestamp)' %}
    {% set existing_cols = run_query(
        "select column_name from information_schema.columns where table_schema = '" ~ raw_schema
        ~ "' and table_name = '" ~ src.identifier ~ "__csv_rows' order by ordinal_position"
    ).columns[0].values() | list %}
    {% set old_table = run_query(
        "select count(*) from information_schema.tables where table_schema = '" ~ raw_schema
        ~ "' and table_name = '" ~ src.identifier ~ "' and table_type = 'BASE TABLE'"
    ).columns[0].values()[0] %}
    {% set expected_cols = declared + ['_source_file', '_source_row', '_loaded_at'] %}
    {% if flags.FULL_REFRESH or existing_cols != expected_cols or old_table > 0 %}
        {% do run_query(('drop table ' if old_table > 0 else 'drop view if exists ') ~ relation) %}
        {% do run_query('drop table if exists ' ~ rows_table) %}
        {% do run_query(ddl) %}
        {% do run_query('drop table if exists ' ~ rejects) %}
        {% do run_query("delete from " ~ raw_schema ~ "._audience_files where source_table = '" ~ label ~ "'") %}
    {% endif %}
    {% do run_query(
        'create table if not exists ' ~ rejects ~ ' (_source_file varchar, line_number bigint, '
        ~ 'error_type varchar, error_message varchar, raw_line varchar, _loaded_at timestamp)'
    ) %}

    {#- what the ledger already holds -#}
    {% set ledger = {} %}
    {% set rows = run_query(
        "select file_path, file_size, cast(modified_at as varchar) from " ~ raw_schema
        ~ "._audience_files where source_table = '" ~ label ~ "'"
    ) %}
    {% for r in rows %}{% do ledger.update({r[0]: (r[1] | string) ~ '|' ~ r[2]}) %}{% endfor %}
    {% set now = {} %}
    {% for f in present %}{% do now.update({f[0]: (f[1] | string) ~ '|' ~ f[2]}) %}{% endfor %}

    {#- unload files that vanished or changed -#}
    {% for path in ledger.keys() if now.get(path) != ledger[path] %}
        {% do _unload_file(rows_table, rejects, raw_schema, label, path) %}
    {% endfor %}

    {% if present | length == 0 and src.meta.get('required') %}
        {% do exceptions.raise_compiler_error(
            "Required raw source '" ~ label ~ "' has no file in " ~ base ~ ": expected "
            ~ stem ~ ".csv, " ~ stem ~ ".parquet or a folder " ~ stem ~ "/ of such files "
            ~ "(see docs/data_contract.md)."
        ) %}
    {% endif %}

    {#- load new or changed files -#}
    {% for f in present if ledger.get(f[0]) != now[f[0]] %}
        {% do _load_file(src, rows_table, rejects, raw_schema, label, f, declared, required, loop.index) %}
    {% endfor %}

    {#- the raw relation: CSV rows plus one branch per landed Parquet file (see the header) -#}
    {% set parts = ['select * from ' ~ rows_table] %}
    {% set branches = run_query(
        "select file_path, select_list, cast(loaded_at as varchar) from " ~ raw_schema
        ~ "._audience_files where source_table = '" ~ label ~ "' and select_list is not null"
        ~ " order by file_path"
    ) %}
    {% for r in branches %}
        {% set p = r[0] | replace("'", "''") %}
        {% do parts.append(
            'select ' ~ r[1] ~ ", cast('" ~ p ~ "' as varchar) as _source_file, "
            ~ 'cast(file_row_number + 1 as bigint) as _source_row, '
            ~ "cast('" ~ r[2] ~ "' as timestamp) as _loaded_at from read_parquet('" ~ p
            ~ "', file_row_number = true)"
        ) %}
    {% endfor %}
    {% do run_query('create or replace view ' ~ relation ~ ' as ' ~ parts | join(' union all ')) %}
{% endmacro %}


{% macro _glob_files(base, stem) %}
    {#- Files of one source: <stem>.csv[.gz], <stem>.parquet and <stem>/*; never under a folder starting with _ -#}
    {% set found = [] %}
    {% set patterns = [
        base ~ '/' ~ stem ~ '.csv', base ~ '/' ~ stem ~ '.csv.gz', base ~ '/' ~ stem ~ '.parquet',
        base ~ '/' ~ stem ~ '/*.csv', base ~ '/' ~ stem ~ '/*.csv.gz', base ~ '/' ~ stem ~ '/*.parquet'
    ] %}
    {% set sql %}
        select filename, size, cast(cast(last_modified as timestamp) as varchar)
        from read_blob([{% for p in patterns %}'{{ p }}'{{ ',' if not loop.last }}{% endfor %}])
        order by filename
    {% endset %}
    {% set res = run_query(sql) %}
    {% for r in res %}{% do found.append((r[0], r[1], r[2])) %}{% endfor %}
    {{ return(found) }}
{% endmacro %}


{% macro _unload_file(relation, rejects, raw_schema, label, path) %}
    {% set p = path | replace("'", "''") %}
    {% do run_query("delete from " ~ relation ~ " where _source_file = '" ~ p ~ "'") %}
    {% do run_query("delete from " ~ rejects ~ " where _source_file = '" ~ p ~ "'") %}
    {% do run_query("delete from " ~ raw_schema ~ "._audience_files where source_table = '" ~ label
        ~ "' and file_path = '" ~ p ~ "'") %}
{% endmacro %}


{% macro _load_file(src, relation, rejects, raw_schema, label, f, declared, required, n) %}
    {% set path = f[0] %}
    {% set p = path | replace("'", "''") %}
    {% set is_parquet = path.endswith('.parquet') %}
    {% set rj = 'audience_rejects_' ~ n %}
    {% if is_parquet %}
        {% set reader = "read_parquet('" ~ p ~ "')" %}
    {% else %}
        {% set reader = "read_csv('" ~ p ~ "', all_varchar = true, header = true, store_rejects = true, "
            ~ "rejects_table = '" ~ rj ~ "', rejects_scan = '" ~ rj ~ "_scan', "
            ~ "max_line_size = " ~ var('raw_max_line_bytes', 2097152) ~ ")" %}
    {% endif %}

    {% if f[1] == 0 %}
        {#- an empty file holds no rows: record it, read nothing -#}
        {% set found = {} %}
    {% else %}
        {% set described = run_query('describe select * from ' ~ reader) %}
        {% set found = {} %}
        {% set duplicated = [] %}
        {% for r in described %}
            {% set key = r[0] | replace('\ufeff', '') | trim | lower | replace(' ', '_') %}
            {% if key not in found %}{% do found.update({key: r[0]}) %}{% else %}{% do duplicated.append(key) %}{% endif %}
        {% endfor %}
        {#- the CSV reader renames a repeated header `x` to `x_1`, `x_2`, ...: a declared column
            that appears twice is ambiguous, so the file is refused rather than half-read -#}
        {% for key in found.keys() | list %}
            {% set parts = key.split('_') %}
            {% set base = parts[:-1] | join('_') %}
            {% if parts | length > 1 and parts[-1].isdigit() and base in found and base in declared %}
                {% do duplicated.append(base) %}
            {% endif %}
        {% endfor %}
        {% set duplicated_declared = duplicated | select('in', declared) | unique | list %}
        {% if duplicated_declared | length > 0 %}
            {% do exceptions.raise_compiler_error(
                "Raw file " ~ path ~ " (source " ~ label ~ ") has duplicate column(s) "
                ~ duplicated_declared | join(', ') ~ " in its header: which one holds the data is"
                ~ " ambiguous. Rename or drop the extra column. See docs/data_contract.md."
            ) %}
        {% endif %}
    {% endif %}

    {% set missing = [] %}
    {% for c in required if c not in found %}{% do missing.append(c) %}{% endfor %}
    {% if f[1] != 0 and missing | length > 0 %}
        {#- a header still wrapped in quotes means the reader could not work out the quoting,
            which an unterminated quote somewhere in the file causes -#}
        {% set quoted = [] %}
        {% for name in found.values() if name.startswith('"') %}{% do quoted.append(name) %}{% endfor %}
        {% do exceptions.raise_compiler_error(
            "Raw file " ~ path ~ " (source " ~ label ~ ") is missing required column(s) "
            ~ missing | join(', ') ~ ". Columns found: " ~ (found.values() | join(', '))
            ~ (". The header is still quoted: the CSV quoting could not be parsed, look for an"
               ~ " unterminated quote in the file" if quoted | length > 0 else "")
            ~ ". See docs/data_contract.md."
        ) %}
    {% endif %}

    {% if f[1] != 0 %}
        {% set select_list = [] %}
        {% for c in declared %}
            {% if c in found %}
                {% do select_list.append('cast(' ~ adapter.quote(found[c]) ~ ' as varchar)') %}
            {% else %}
                {% do select_list.append('cast(null as varchar)') %}
            {% endif %}
        {% endfor %}
        {% if is_parquet %}
            {#- zero-copy: the view reads the file; the ledger keeps the branch's column list -#}
            {% set select_sql = [] %}
            {% for c in declared %}
                {% do select_sql.append(select_list[loop.index0] ~ ' as ' ~ adapter.quote(c)) %}
            {% endfor %}
            {% set branch = select_sql | join(', ') %}
        {% else %}
            {% do run_query(
                'insert into ' ~ relation ~ ' select ' ~ select_list | join(', ') ~ ", '" ~ p
                ~ "', ordinality, current_timestamp from " ~ reader ~ ' with ordinality'
            ) %}
            {% do run_query(
                'insert into ' ~ rejects ~ " select '" ~ p ~ "', line, cast(error_type as varchar), "
                ~ 'error_message, csv_line, current_timestamp from ' ~ rj
            ) %}
            {% do run_query('drop table if exists ' ~ rj) %}
            {% do run_query('drop table if exists ' ~ rj ~ '_scan') %}
        {% endif %}
    {% endif %}
    {#- rows of a Parquet file: its footer's count (read_parquet's count(*) reads only metadata) -#}
    {% if is_parquet and f[1] != 0 %}
        {% set rows_sql = "(select count(*) from read_parquet('" ~ p ~ "'))" %}
    {% else %}
        {% set rows_sql = "(select count(*) from " ~ relation ~ " where _source_file = '" ~ p ~ "')" %}
    {% endif %}
    {% do run_query(
        'insert into ' ~ raw_schema ~ "._audience_files select '" ~ label ~ "', '" ~ p ~ "', "
        ~ f[1] ~ ", cast('" ~ f[2] ~ "' as timestamp), "
        ~ rows_sql ~ ", "
        ~ "(select count(*) from " ~ rejects ~ " where _source_file = '" ~ p ~ "'), current_timestamp, "
        ~ ("'" ~ (branch | replace("'", "''")) ~ "'" if is_parquet and f[1] != 0 else 'null')
    ) %}
{% endmacro %}
