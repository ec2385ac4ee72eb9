{#-
    The read-only BI file (DuckDB only; README, "Connect a BI tool").

    While `dbt build` writes the warehouse file, DuckDB lets no other process open it, not even
    read-only. BI tools therefore read a second file, by default beside the warehouse:
    `warehouse/audience.duckdb` -> `warehouse/audience_bi.duckdb` (var `bi_path` or
    $AUDIENCE_BI_PATH to move it).

    `publish_bi_on_run_end(results)` is the project's on-run-end hook. After a `dbt build` in which
    nothing errored, failed or was skipped, it calls `publish_bi()`, which
      1. copies every model the exposure `bi_file` depends on into a new DuckDB file at
         `<bi_path>.tmp`, with the dbt descriptions as table and column comments,
      2. adds `bi_publish`: one row per copied table with the publish id (the dbt invocation id),
         when it was published and the row count, so readers can check what they read,
      3. checkpoints and detaches the new file and renames it over `<bi_path>` with the function
         `audience_replace_file` (os.replace, atomic; registered by the profile's plugin
         `audience.bi_publish`, as DuckDB SQL cannot rename files).
    Readers see the previous complete publish until the rename and the new one after it. A
    build with a failure, `dbt build --empty`, `dbt run` (no tests) and `dbt test` leave the
    file as it is; `dbt run-operation publish_bi` publishes the warehouse as it stands. Var
    `bi_publish: false` turns the hook off. On other adapters it does nothing: BI tools read the
    warehouse's schemas, whose transactions give the same guarantee.
-#}

{% macro publish_bi_on_run_end(results) %}
    {% if not execute or target.type != 'duckdb' or not var('bi_publish', true) %}
        {{ return('') }}
    {% endif %}
    {#- only dbt build runs the tests; `--empty` builds hold no rows -#}
    {% if invocation_args_dict.get('which') != 'build' %}
        {{ return('') }}
    {% endif %}
    {% if invocation_args_dict.get('empty') %}
        {{ log('BI file not published: dbt build --empty', info=true) }}
        {{ return('') }}
    {% endif %}
    {% set problems = [] %}
    {% for result in results if result.status in ['error', 'fail', 'skipped', 'runtime error'] %}
        {% do problems.append(result.node.name ~ ' (' ~ result.status ~ ')') %}
    {% endfor %}
    {% if problems %}
        {{ log('BI file not published (' ~ problems | length ~ ' nodes errored, failed or were skipped, e.g. '
            ~ problems[:3] | join(', ') ~ '): BI readers keep the last complete build in ' ~ bi_path(), info=true) }}
        {{ return('') }}
    {% endif %}
    {% do publish_bi() %}
    {{ return('') }}
{% endmacro %}


{% macro bi_path() %}
    {%- set explicit = var('bi_path', none) or env_var('AUDIENCE_BI_PATH', '') -%}
    {%- if explicit -%}
        {{- return(explicit) -}}
    {%- endif -%}
    {%- set warehouse = target.path | string -%}
    {%- if warehouse.endswith('.duckdb') -%}
        {{- return(warehouse[:-7] ~ '_bi.duckdb') -}}
    {%- endif -%}
    {{- return(warehouse ~ '_bi.duckdb') -}}
{% endmacro %}


{% macro bi_file_models() %}
    {#- the models the exposure `bi_file` depends on, in its order -#}
    {% set models = [] %}
    {% for exposure in graph.exposures.values() if exposure.name == 'bi_file' %}
        {% for unique_id in exposure.depends_on.nodes %}
            {% do models.append(graph.nodes[unique_id]) %}
        {% endfor %}
    {% endfor %}
    {% if not models %}
        {{ exceptions.raise_compiler_error('publish_bi: the exposure bi_file (models/marts/_marts__exposures.yml) lists no models') }}
    {% endif %}
    {{ return(models) }}
{% endmacro %}


{% macro _sql_string(text) -%}
    '{{ (text or '') | string | replace("'", "''") }}'
{%- endmacro %}


{% macro publish_bi() %}
    {% if not execute or target.type != 'duckdb' %}
        {{ return('') }}
    {% endif %}
    {% set final_path = bi_path() %}
    {% if target.path | string in ['', ':memory:'] %}
        {{ log('BI file not published: the warehouse is in memory', info=true) }}
        {{ return('') }}
    {% endif %}
    {% set has_function = run_query(
        "select count(*) from duckdb_functions() where function_name = 'audience_replace_file'"
    ).columns[0].values()[0] %}
    {% if has_function == 0 %}
        {{ log('BI file not published: the profile lacks the plugin audience.bi_publish (see profiles.yml)', info=true) }}
        {{ return('') }}
    {% endif %}

    {#- every table must exist: a partial first build publishes nothing rather than half a file -#}
    {% set sources = [] %}
    {% set missing = [] %}
    {% for node in bi_file_models() %}
        {% set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) %}
        {% if relation is none %}
            {% do missing.append(node.name) %}
        {% else %}
            {% do sources.append({'node': node, 'relation': relation}) %}
        {% endif %}
    {% endfor %}
    {% if missing %}
        {{ log('BI file not published: not built yet: ' ~ missing | join(', '), info=true) }}
        {{ return('') }}
    {% endif %}

    {% set tmp_path = final_path ~ '.tmp' %}
    {% set alias = 'audience_bi_publish' %}
    {% do run_query('select audience_remove_file(' ~ _sql_string(tmp_path) ~ ')') %}
    {% do run_query('attach ' ~ _sql_string(tmp_path) ~ ' as ' ~ alias) %}
    {% set counts = [] %}
    {% for item in sources %}
        {% set node = item.node %}
        {% set table = alias ~ '.main.' ~ adapter.quote(node.name) %}
        {#- the copy and its comments go in one call, not one round trip per column (about 300
            statements per publish) -#}
        {% set built_columns = adapter.get_columns_in_relation(item.relation) | map(attribute='name') | list %}
        {% set statements = [
            'create table ' ~ table ~ ' as select * from ' ~ item.relation,
            'comment on table ' ~ table ~ ' is ' ~ _sql_string(node.description),
        ] %}
        {% for column_name, column in node.columns.items() if column.description and column_name in built_columns %}
            {% do statements.append('comment on column ' ~ table ~ '.' ~ adapter.quote(column_name)
                ~ ' is ' ~ _sql_string(column.description)) %}
        {% endfor %}
        {% do run_query(statements | join(';\n')) %}
        {% do counts.append(
            'select ' ~ _sql_string(node.name) ~ ' as table_name, count(*) as row_count, '
            ~ _sql_string(node.unique_id) ~ ' as model_unique_id, '
            ~ _sql_string(node.description) ~ ' as description from ' ~ table
        ) %}
    {% endfor %}
    {% do run_query(
        'create table ' ~ alias ~ '.main.bi_publish as select '
        ~ _sql_string(invocation_id) ~ ' as publish_id, '
        ~ "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp) as build_started_at, "
        ~ 'cast(current_timestamp as timestamp) as published_at, counts.* from ('
        ~ counts | join(' union all ') ~ ') as counts'
    ) %}
    {% do run_query("comment on table " ~ alias ~ ".main.bi_publish is "
        ~ _sql_string('What this file holds: one row per table of the publish (publish_id = the dbt invocation id of the build), with its row count.')) %}
    {#- dbt runs the hook in a transaction; DuckDB checkpoints only outside one with changes -#}
    {% do adapter.commit() %}
    {% do run_query('checkpoint ' ~ alias) %}
    {% do run_query('detach ' ~ alias) %}
    {% do run_query('select audience_replace_file(' ~ _sql_string(tmp_path) ~ ', ' ~ _sql_string(final_path) ~ ')') %}
    {{ log('Published ' ~ sources | length ~ ' BI tables to ' ~ final_path ~ ' (publish id ' ~ invocation_id ~ ')', info=true) }}
    {{ return('') }}
{% endmacro %}
