{#-
    Materialization `snapshot` on Spark: dbt snapshots on Parquet tables (docs/engines.md).

    dbt-spark's own snapshot materialization writes the changes with MERGE INTO, which only
    Delta, Iceberg and Hudi tables accept, and refuses any other file format. This one keeps
    dbt's snapshot logic (the strategy, `check_cols`, `hard_deletes`, dbt's staging query of
    changes and the dbt_scd_id / dbt_valid_from / dbt_valid_to columns, all from dbt-core's
    macros, as on DuckDB) and replaces only the MERGE: the merged table is written to a
    scratch table `<snapshot>__dbt_merged`, which then replaces the snapshot's rows with
    INSERT OVERWRITE (Spark cannot overwrite a table it reads in the same statement), and is
    dropped. The result is the table MERGE would leave: spells whose key changed or
    disappeared closed at this run's time, new spells inserted, every other row unchanged.

    Each run rewrites the whole snapshot, and the two statements are not one transaction: a
    run that stops between them leaves the snapshot as it was (the overwrite has not run) or
    complete (it has). For Delta, Iceberg and Hudi tables this materialization is used as well;
    set `file_format` and it writes that format.
-#}
{% materialization snapshot, adapter='spark' %}
    {%- set strategy_name = config.get('strategy') -%}
    {%- set grant_config = config.get('grants') -%}
    {%- set target_relation_exists, target_relation = get_or_create_relation(
            database=none, schema=model.schema, identifier=model.get('alias', model.get('name')), type='table') -%}
    {%- if not adapter.check_schema_exists(model.database, model.schema) -%}
        {%- do create_schema(model.schema) -%}
    {%- endif -%}
    {%- if not target_relation.is_table -%}
        {%- do exceptions.relation_wrong_type(target_relation, 'table') -%}
    {%- endif -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- set strategy_macro = strategy_dispatch(strategy_name) -%}
    {%- set strategy = strategy_macro(model, "snapshotted_data", "source_data", model['config'], target_relation_exists) -%}

    {%- if not target_relation_exists -%}
        {% call statement('main') -%}
            {{ create_table_as(False, target_relation, build_snapshot_table(strategy, model['compiled_code'])) }}
        {%- endcall %}
    {%- else -%}
        {%- set columns = config.get('snapshot_table_column_names') or get_snapshot_table_column_names() -%}
        {{ adapter.valid_snapshot_target(target_relation, columns) }}
        {%- set staging = api.Relation.create(identifier=target_relation.identifier ~ '__dbt_tmp',
                schema=target_relation.schema, database=none, type='view') -%}
        {%- set merged = api.Relation.create(identifier=target_relation.identifier ~ '__dbt_merged',
                schema=target_relation.schema, database=none, type='table') -%}
        {% call statement('build_snapshot_staging_relation') -%}
            {{ create_view_as(staging, snapshot_staging_table(strategy, sql, target_relation)) }}
        {%- endcall %}
        {%- set target_columns = adapter.get_columns_in_relation(target_relation) -%}
        {%- do adapter.drop_relation(merged) -%}
        {% call statement('build_merged_snapshot') -%}
            {{ create_table_as(False, merged, spark_parquet_snapshot_merged(target_relation, staging, target_columns, columns)) }}
        {%- endcall %}
        {% call statement('main') -%}
            insert overwrite table {{ target_relation }}
            select {% for c in target_columns %}{{ adapter.quote(c.name) }}{{ ', ' if not loop.last }}{% endfor %}
            from {{ merged }}
        {%- endcall %}
        {%- do adapter.drop_relation(merged) -%}
        {%- do adapter.drop_relation(staging) -%}
    {%- endif -%}

    {%- set should_revoke = should_revoke(target_relation_exists, full_refresh_mode) -%}
    {%- do apply_grants(target_relation, grant_config, should_revoke) -%}
    {%- do persist_docs(target_relation, model) -%}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#-
    spark_parquet_snapshot_merged(target, staging, target_columns, names): the snapshot after
    this run, as dbt's MERGE would leave it (dbt-core's default snapshot_merge_sql): a row whose
    dbt_scd_id the staging query marks `update` or `delete` while it is open gets that row's
    dbt_valid_to; staging rows marked `insert` are added; every other row stays as it is.
-#}
{% macro spark_parquet_snapshot_merged(target, staging, target_columns, names) %}
    {%- set scd_id = adapter.quote(names.dbt_scd_id) -%}
    {%- set valid_to = adapter.quote(names.dbt_valid_to) -%}
    with closing as (
        select {{ scd_id }} as closing_scd_id, {{ valid_to }} as closing_valid_to
        from {{ staging }}
        where dbt_change_type in ('update', 'delete')
    )
    select
        {%- for c in target_columns %}
        {%- if c.name | lower == names.dbt_valid_to | lower %}
        case when snapshotted.{{ valid_to }} is null and closing.closing_scd_id is not null
            then closing.closing_valid_to else snapshotted.{{ valid_to }} end as {{ valid_to }}
        {%- else %}
        snapshotted.{{ adapter.quote(c.name) }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ target }} as snapshotted
    left join closing
        on snapshotted.{{ scd_id }} = closing.closing_scd_id
    union all
    select
        {%- for c in target_columns %}
        {{ adapter.quote(c.name) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ staging }}
    where dbt_change_type = 'insert'
{% endmacro %}
