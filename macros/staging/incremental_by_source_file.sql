{#-
    Staging incremental by landed file (docs/architecture.md, "Incremental models").

    A staging model is a per-row function of its raw table, so it can be refreshed exactly file
    by file. The raw table is the source of truth: every raw row carries `_source_file` and
    `_loaded_at` (one value per file and load), and the staged table keeps both. A file must be
    (re)staged when its (`_source_file`, max `_loaded_at`) pair in raw is not in the staged
    table: a new file, or a file the landing hook reloaded because it changed (its rows get a
    new `_loaded_at`). The pairs are compared for equality, never ordered, so clock steps
    between runs and loads within the same second cannot hide a file. The model replaces the
    rows of those files (`delete+insert` on `_source_file`); the pre-hook deletes staged rows
    of files no longer in raw (unloaded by the landing hook, or removed by your EL tool).

    Why raw and not the DuckDB ledger `raw._audience_files`: the ledger's `loaded_at` is
    stamped by a later statement than the rows' `_loaded_at` (they differ), and the ledger only
    exists when the DuckDB landing hook loads the files. Comparing raw with staging works on any
    adapter whose EL tool fills `_source_file` and `_loaded_at`, and costs one scan of those two
    columns of raw and of staging.

    Usage in a staging model (dbt_project.yml sets `staging:` to strategy delete+insert,
    unique_key _source_file, on_schema_change append_new_columns):
        {{ config(materialized=incremental_materialization(),
                  pre_hook="{{ delete_unlanded_source_files(source('web', 'events')) }}") }}
        source as (
            select * from {{ source('web', 'events') }}
            where {{ source_files_to_stage(source('web', 'events')) }}
        ),
-#}

{#- A predicate on the raw rows: true for the rows of files to (re)stage in this run. -#}
{% macro source_files_to_stage(source_relation) %}
    {%- if _is_unit_test() or not is_incremental() or not _staged_with_loaded_at() -%}
        {#- first build, --full-refresh, or a table staged before it carried _loaded_at: all rows -#}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {%- if not execute -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {% set changed_sql %}
        select landed._source_file
        from (
            select _source_file, max(_loaded_at) as _loaded_at
            from {{ source_relation }}
            group by _source_file
        ) as landed
        left join (
            select _source_file, max(_loaded_at) as _loaded_at
            from {{ this }}
            group by _source_file
        ) as staged
            on staged._source_file = landed._source_file
            and staged._loaded_at = landed._loaded_at
        where landed._source_file is not null
            and staged._source_file is null
        order by landed._source_file
    {% endset %}
    {% set files = run_query(changed_sql).columns[0].values() | list %}
    {% do log(this.identifier ~ ': ' ~ files | length ~ ' landed file(s) to stage', info=false) %}
    {%- if files | length == 0 -%}
        {{- return('1 = 0') -}}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for f in files -%}
        {%- do literals.append("'" ~ (f | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {%- set predicate = '_source_file in (' ~ literals | join(', ') ~ ')' -%}
    {{- return(predicate) -}}
{% endmacro %}


{#- Pre-hook: delete staged rows of files that are no longer in raw (incremental runs only).
    Both sides are reduced to their distinct file names first: a plain `except` of the two
    row sets builds a hash table over every raw row, which ran out of memory on the 110M web
    events of the 1M benchmark; this form takes a fraction of a second there. -#}
{% macro delete_unlanded_source_files(source_relation) %}
    {%- if _is_unit_test() or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    delete from {{ this }}
    where _source_file in (
        select staged_files._source_file
        from (select distinct _source_file from {{ this }}) as staged_files
        where staged_files._source_file is not null
            and staged_files._source_file not in (
                select distinct _source_file
                from {{ source_relation }}
                where _source_file is not null
            )
    )
{% endmacro %}


{#- Whether the existing staged table has the _loaded_at column this scheme compares. -#}
{% macro _staged_with_loaded_at() %}
    {%- if not execute -%}{{- return(true) -}}{%- endif -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if relation is none -%}{{- return(false) -}}{%- endif -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{- return('_loaded_at' in names) -}}
{% endmacro %}


{#- dbt unit tests render the model without a target relation (`this` is none): all given rows -#}
{% macro _is_unit_test() %}
    {{- return(this is none or model.get('resource_type') == 'unit_test') -}}
{% endmacro %}
