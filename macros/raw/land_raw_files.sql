{#-
    Landing of raw files (DuckDB only).

    `land_raw_files()` runs as an on-run-start hook. For every source table whose YAML carries
    `meta.raw_file`, it makes the matching files from the raw folder (see docs/data_contract.md)
    readable as `<raw_schema>.<identifier>`: every declared column as text, plus `_source_file`,
    `_source_row` (1-based position of the row among the file's parsed rows) and `_loaded_at`.

    How:
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

    Loading is incremental by file: a ledger `_audience_files` remembers each file's size,
    modification time and SHA-256 checksum; only new files and files whose content changed (by
    checksum, so an edit that keeps size and time is seen) are read, files that disappeared are
    unloaded, and the view is rebuilt from the ledger on every run. `--full-refresh` reloads
    everything.

    The file checks SQL cannot do run in Python (audience/raw_files.py, registered by the
    profile's plugin `audience.raw_files`): listing a source's files in natural order with their
    checksums, and stopping the build with a message naming the path on a broken link, an
    unreadable file, or one data set in two formats (`orders.csv` next to `orders.csv.gz`);
    before a file is read, a corrupt or truncated gzip or Parquet file stops the build (nothing
    of it is landed), a file in Windows-1252, Latin-1 or UTF-16 is read through a UTF-8 copy,
    and Excel's `sep=` first line sets the delimiter. A header that matches no declared column
    but equals one once case, blanks, `-`, `_`, `.` and `/` are ignored (`E-mail`, `customerID`)
    is read as that column when exactly one header does so; it is logged as a warning and
    recorded in the ledger (`header_notes`, shown in dq_raw_files), as are the columns left
    unread, each with the missing column it looks like, if any, as a suggestion.
    On other adapters the hook does nothing: the sources are tables loaded by your EL tool.
-#}

{% macro land_raw_files() %}
    {% if not execute or target.type != 'duckdb' or not var('land_raw_files', true) %}
        {{ return('') }}
    {% endif %}
    {% set raw_schema = var('raw_schema', 'raw') %}
    {% set helpers = run_query(
        "select count(*) from duckdb_functions() where function_name = 'audience_scan_raw_files'"
    ).columns[0].values()[0] %}
    {% if helpers == 0 %}
        {% do exceptions.raise_compiler_error(
            "The landing hook needs the dbt-duckdb plugin audience.raw_files: add `- module:"
            ~ " audience.raw_files` under `plugins:` of your DuckDB profile (see profiles.yml)."
        ) %}
    {% endif %}
    {% do run_query('create schema if not exists ' ~ raw_schema) %}
    {% do run_query(
        'create table if not exists ' ~ raw_schema ~ '._audience_files ('
        ~ 'source_table varchar, file_path varchar, file_size bigint, modified_at timestamp, '
        ~ 'rows_loaded bigint, rows_rejected bigint, loaded_at timestamp, select_list varchar)'
    ) %}
    {#- ledgers written before zero-copy Parquet landing lack the column of the view's branch -#}
    {% do run_query('alter table ' ~ raw_schema ~ '._audience_files add column if not exists select_list varchar') %}
    {#- ledgers written before checksums: their files are relanded once, as their checksum is null -#}
    {% do run_query('alter table ' ~ raw_schema ~ '._audience_files add column if not exists checksum varchar') %}
    {% do run_query('alter table ' ~ raw_schema ~ '._audience_files add column if not exists encoding varchar') %}
    {% do run_query('alter table ' ~ raw_schema ~ '._audience_files add column if not exists header_notes varchar') %}
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

    {#- files present now, in natural order, with their checksums -#}
    {% set present = _scan_files(base, stem, label) %}

    {#- (re)create the landing tables when missing, on --full-refresh, when the contract changed,
        or when raw.<identifier> is still the table of the copy-everything landing -#}
    {% set col_defs = [] %}
    {% for name in declared %}{% do col_defs.append(adapter.quote(name) ~ ' varchar') %}{% endfor %}
    {% set ddl = 'create table ' ~ rows_table ~ ' (' ~ col_defs | join(', ')
        ~ ', _source_file varchar, _source_row bigint, _loaded_at timestamp)' %}
    {% set existing_cols = run_query(
        "select column_name from information_schema.columns where table_schema = " ~ sql_string(raw_schema)
        ~ " and table_name = " ~ sql_string(src.identifier ~ '__csv_rows') ~ " order by ordinal_position"
    ).columns[0].values() | list %}
    {% set old_table = run_query(
        "select count(*) from information_schema.tables where table_schema = " ~ sql_string(raw_schema)
        ~ " and table_name = " ~ sql_string(src.identifier) ~ " and table_type = 'BASE TABLE'"
    ).columns[0].values()[0] %}
    {% set expected_cols = declared + ['_source_file', '_source_row', '_loaded_at'] %}
    {% if flags.FULL_REFRESH or existing_cols != expected_cols or old_table > 0 %}
        {% do run_query(('drop table ' if old_table > 0 else 'drop view if exists ') ~ relation) %}
        {% do run_query('drop table if exists ' ~ rows_table) %}
        {% do run_query(ddl) %}
        {% do run_query('drop table if exists ' ~ rejects) %}
        {% do run_query("delete from " ~ raw_schema ~ "._audience_files where source_table = " ~ sql_string(label)) %}
    {% endif %}
    {% do run_query(
        'create table if not exists ' ~ rejects ~ ' (_source_file varchar, line_number bigint, '
        ~ 'error_type varchar, error_message varchar, raw_line varchar, _loaded_at timestamp)'
    ) %}

    {#- what the ledger already holds: a file is reloaded when its checksum changed -#}
    {% set ledger = {} %}
    {% set rows = run_query(
        "select file_path, checksum from " ~ raw_schema
        ~ "._audience_files where source_table = " ~ sql_string(label)
    ) %}
    {% for r in rows %}{% do ledger.update({r[0]: r[1]}) %}{% endfor %}
    {% set now = {} %}
    {% for f in present %}{% do now.update({f[0]: f[3]}) %}{% endfor %}

    {#- unload files that vanished or changed -#}
    {% for path in ledger.keys() if now.get(path) is none or now.get(path) != ledger[path] %}
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
    {% for f in present if ledger.get(f[0]) is none or ledger.get(f[0]) != now[f[0]] %}
        {% do _load_file(src, rows_table, rejects, raw_schema, label, f, declared, required, loop.index) %}
    {% endfor %}

    {#- the raw relation: CSV rows plus one branch per landed Parquet file (see the header) -#}
    {% set parts = ['select * from ' ~ rows_table] %}
    {% set branches = run_query(
        "select file_path, select_list, cast(loaded_at as varchar) from " ~ raw_schema
        ~ "._audience_files where source_table = " ~ sql_string(label) ~ " and select_list is not null"
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


{% macro _scan_files(base, stem, label) %}
    {#- Files of one source: <stem>.csv[.gz], <stem>.parquet and <stem>/*.csv[.gz]|parquet, as
        (path, size, modified_at, checksum) in natural order (audience/raw_files.py); a broken
        link, an unreadable file or one data set in two formats stops the build -#}
    {% set res = run_query(
        'select audience_scan_raw_files(' ~ sql_string(base) ~ ', ' ~ sql_string(stem) ~ ')'
    ).columns[0].values()[0] %}
    {% set scan = fromjson(res) %}
    {% if scan['problems'] | length > 0 %}
        {% do exceptions.raise_compiler_error(
            "Raw files of source " ~ label ~ ": " ~ scan['problems'] | join('; ')
            ~ ". See docs/data_contract.md."
        ) %}
    {% endif %}
    {% set found = [] %}
    {% for f in scan['files'] %}{% do found.append((f['path'], f['size'], f['modified_at'], f['checksum'])) %}{% endfor %}
    {{ return(found) }}
{% endmacro %}


{% macro _unload_file(relation, rejects, raw_schema, label, path) %}
    {% set p = path | replace("'", "''") %}
    {% do run_query("delete from " ~ relation ~ " where _source_file = '" ~ p ~ "'") %}
    {% do run_query("delete from " ~ rejects ~ " where _source_file = '" ~ p ~ "'") %}
    {% do run_query("delete from " ~ raw_schema ~ "._audience_files where source_table = " ~ sql_string(label)
        ~ " and file_path = '" ~ p ~ "'") %}
{% endmacro %}


{% macro _load_file(src, relation, rejects, raw_schema, label, f, declared, required, n) %}
    {% set path = f[0] %}
    {% set p = path | replace("'", "''") %}
    {% set is_parquet = path.lower().endswith('.parquet') %}
    {% set rj = 'audience_rejects_' ~ n %}
    {% set prepared = {'read_path': path, 'encoding': none, 'delimiter': none, 'skip': 0} %}
    {% if f[1] != 0 %}
        {#- integrity (gzip, Parquet footer), encoding and `sep=` line: audience/raw_files.py -#}
        {% set prepared = fromjson(run_query(
            'select audience_prepare_raw_file(' ~ sql_string(path) ~ ')'
        ).columns[0].values()[0]) %}
        {% if prepared.get('problem') %}
            {% do exceptions.raise_compiler_error(
                "Raw file " ~ path ~ " (source " ~ label ~ ") " ~ prepared['problem']
                ~ ". Replace the file and run the build again. See docs/data_contract.md."
            ) %}
        {% endif %}
    {% endif %}
    {% set rp = prepared['read_path'] | replace("'", "''") %}
    {% if is_parquet %}
        {% set reader = "read_parquet('" ~ rp ~ "')" %}
    {% else %}
        {% set reader = "read_csv('" ~ rp ~ "', all_varchar = true, header = true, store_rejects = true, "
            ~ "rejects_table = '" ~ rj ~ "', rejects_scan = '" ~ rj ~ "_scan', "
            ~ ("delim = " ~ sql_string(prepared['delimiter']) ~ ", " if prepared.get('delimiter') else "")
            ~ ("skip = " ~ prepared['skip'] ~ ", " if prepared.get('skip') else "")
            ~ "max_line_size = " ~ var('raw_max_line_bytes', 2097152) ~ ")" %}
    {% endif %}

    {% set notes = [] %}
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
        {#- a header that is a declared column spelled differently (`E-mail`, `customerID`,
            `Customer ID`): read as that column when exactly one header matches it -#}
        {% set unmatched = found.keys() | reject('in', declared) | list %}
        {% for c in declared if c not in found %}
            {% set matches = [] %}
            {% for key in unmatched if _header_squash(key) == _header_squash(c) %}
                {% do matches.append(key) %}
            {% endfor %}
            {% if matches | length == 1 %}
                {% do found.update({c: found[matches[0]]}) %}
                {% do unmatched.remove(matches[0]) %}
                {% do notes.append('read column "' ~ found[c] ~ '" as ' ~ c) %}
            {% elif matches | length > 1 %}
                {% set names = [] %}
                {% for m in matches %}{% do names.append('"' ~ found[m] ~ '"') %}{% endfor %}
                {% do notes.append('columns ' ~ names | join(', ') ~ ' all look like ' ~ c ~ ': none read, rename one to ' ~ c) %}
                {% for m in matches %}{% do unmatched.remove(m) %}{% endfor %}
            {% endif %}
        {% endfor %}
        {#- an unread header that looks like a missing column (one name contains the other, as
            `Email Address` and email, or they share most of a prefix of 5+ characters, as
            `Customer Number` and customer_id) is named with that column as a suggestion; it is
            not read, as it may hold something else -#}
        {% set ignored = [] %}
        {% set suggested = {} %}
        {% for key in unmatched %}
            {% set hints = [] %}
            {% for c in declared if c not in found %}
                {% if _header_looks_like(key, c) %}
                    {% do hints.append(c) %}
                    {% do suggested.update({c: found[key]}) %}
                {% endif %}
            {% endfor %}
            {% do ignored.append('"' ~ found[key] ~ '"' ~ (' (if it holds ' ~ hints | join(' or ')
                ~ ', rename it to that)' if hints | length > 0 else '')) %}
        {% endfor %}
        {% if ignored | length > 0 %}
            {% do notes.append('not read (no such column in the contract): ' ~ ignored | join(', ')) %}
        {% endif %}
        {% for note in notes %}
            {% do exceptions.warn("Raw file " ~ path ~ " (source " ~ label ~ "): " ~ note) %}
        {% endfor %}
    {% endif %}

    {% if f[1] == 0 %}{% set suggested = {} %}{% endif %}
    {% set missing = [] %}
    {% for c in required if c not in found %}{% do missing.append(c) %}{% endfor %}
    {% if f[1] != 0 and missing | length > 0 %}
        {#- a header still wrapped in quotes means the reader could not work out the quoting,
            which an unterminated quote somewhere in the file causes -#}
        {% set quoted = [] %}
        {% for name in found.values() if name.startswith('"') %}{% do quoted.append(name) %}{% endfor %}
        {% do exceptions.raise_compiler_error(
            "Raw file " ~ path ~ " (source " ~ label ~ ") is missing required column(s) "
            ~ missing | join(', ') ~ ". Columns found: " ~ (found.values() | unique | join(', '))
            ~ (". The header is still quoted: the CSV quoting could not be parsed, look for an"
               ~ " unterminated quote in the file" if quoted | length > 0 else "")
            ~ _missing_column_hints(missing, suggested)
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
            {% if prepared['read_path'] != path %}
                {% do run_query('select audience_release_raw_file(' ~ sql_string(prepared['read_path']) ~ ')') %}
            {% endif %}
        {% endif %}
    {% endif %}
    {#- rows of a Parquet file: its footer's count (read_parquet's count(*) reads only metadata) -#}
    {% if is_parquet and f[1] != 0 %}
        {% set rows_sql = "(select count(*) from read_parquet('" ~ p ~ "'))" %}
    {% else %}
        {% set rows_sql = "(select count(*) from " ~ relation ~ " where _source_file = '" ~ p ~ "')" %}
    {% endif %}
    {% do run_query(
        'insert into ' ~ raw_schema ~ "._audience_files (source_table, file_path, file_size, modified_at, "
        ~ "rows_loaded, rows_rejected, loaded_at, select_list, checksum, encoding, header_notes) select "
        ~ sql_string(label) ~ ", '" ~ p ~ "', "
        ~ f[1] ~ ", cast(" ~ sql_string(f[2]) ~ " as timestamp), "
        ~ rows_sql ~ ", "
        ~ "(select count(*) from " ~ rejects ~ " where _source_file = '" ~ p ~ "'), current_timestamp, "
        ~ ("'" ~ (branch | replace("'", "''")) ~ "'" if is_parquet and f[1] != 0 else 'null') ~ ", "
        ~ sql_string(f[3]) ~ ", "
        ~ (sql_string(prepared['encoding']) if prepared.get('encoding') else 'null') ~ ", "
        ~ (sql_string(notes | join('; ')) if notes | length > 0 else 'null')
    ) %}
{% endmacro %}


{#- _header_squash(name): a header name without case, blanks, '-', '_', '.' and '/' -#}
{% macro _header_squash(name) %}
    {{- return(name | lower | replace(' ', '') | replace('-', '') | replace('_', '') | replace('.', '') | replace('/', '')) -}}
{% endmacro %}


{#- _header_looks_like(header_key, column): one squashed name contains the other (3+ characters),
    or they share a prefix of 5+ characters covering 60% of the shorter one -#}
{% macro _header_looks_like(header_key, column) %}
    {% set h, d = _header_squash(header_key), _header_squash(column) %}
    {% if h | length >= 3 and (d in h or h in d) %}{{ return(true) }}{% endif %}
    {% set ns = namespace(prefix=0, going=true) %}
    {% for i in range([h | length, d | length] | min) %}
        {% if ns.going and h[i] == d[i] %}{% set ns.prefix = ns.prefix + 1 %}{% else %}{% set ns.going = false %}{% endif %}
    {% endfor %}
    {{ return(ns.prefix >= 5 and ns.prefix * 10 >= 6 * ([h | length, d | length] | min)) }}
{% endmacro %}


{#- _missing_column_hints(missing, suggested): `. Did you mean "Customer Number" for customer_id?` -#}
{% macro _missing_column_hints(missing, suggested) %}
    {% set parts = [] %}
    {% for c in missing if c in suggested %}{% do parts.append('"' ~ suggested[c] ~ '" for ' ~ c) %}{% endfor %}
    {{ return('. Did you mean ' ~ parts | join(', ') ~ '? Rename the column in the file' if parts | length > 0 else '') }}
{% endmacro %}
