{#-
    Where the project's incremental machinery runs, chosen in this one place.

    The incremental models (staging by landed file, the deduplications, daily sessions, identity
    pairs and stitching, trigger events, transitions, model_runs) rely on deleting rows of their
    own table (`delete+insert`, hooks with `delete from`) and on scratch tables that their hooks
    write and drop. Spark without Delta or Iceberg cannot delete rows from a Parquet table, so
    on every adapter not listed in `incremental_adapters()` an incremental model is rebuilt in
    full as a table on every run:
      - `is_incremental()` is false there, so the filters of the incremental machinery (each
        macro checks it) read everything;
      - the adapter's `incremental` materialization (below, for Spark) drops and creates the
        table from the model's query and runs none of the model's hooks: every hook of an
        incremental model belongs to the incremental machinery (scratch tables, date logs,
        deletes), which a full rebuild does not need. `unique_key`, `incremental_strategy` and
        `on_schema_change` are not used.
    Consequence: the models that keep a history across runs (model_runs, cluster_fit's stored
    versions) hold only the current run's rows there. On DuckDB nothing changes. Add an adapter
    to the list once its incremental path is tested.
-#}

{% macro incremental_adapters() %}
    {{- return(['duckdb']) -}}
{% endmacro %}


{#- dbt's is_incremental(), false on the adapters whose incremental models rebuild in full -#}
{% macro is_incremental() %}
    {%- if target.type not in incremental_adapters() -%}
        {{- return(false) -}}
    {%- endif -%}
    {{- return(dbt.is_incremental()) -}}
{% endmacro %}


{% materialization incremental, adapter='spark' %}
    {%- set target_relation = api.Relation.create(
        identifier=model['alias'], schema=schema, database=database, type='table') -%}
    {%- set existing = adapter.get_relation(database=database, schema=schema, identifier=model['alias']) -%}
    {%- if existing is not none -%}
        {% do adapter.drop_relation(existing) %}
    {%- endif -%}
    {%- call statement('main') -%}
        {{ create_table_as(false, target_relation, compiled_code) }}
    {%- endcall -%}
    {% do persist_docs(target_relation, model) %}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
