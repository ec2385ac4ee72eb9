{#-
    Where the project's incremental machinery runs, chosen in this one place.

    The incremental models (staging by landed file, the deduplications, daily sessions, identity
    pairs and stitching, trigger events, transitions, model_runs) rely on deleting rows of their
    own table (`delete+insert`, hooks with `delete from`) and on scratch tables written by hooks.
    Spark without Delta or Iceberg cannot delete rows from a Parquet table, so on every adapter
    not listed in `incremental_adapters()` an incremental model is built as a table, in full,
    on every run:
      - `is_incremental()` is false there, so the hooks and filters that read it (every macro
        of the incremental machinery checks it) render nothing and read everything;
      - the `incremental` materialization of that adapter is the adapter's `table`
        materialization (below, for Spark), so `unique_key`, `incremental_strategy` and
        `on_schema_change` are not used.
    On DuckDB nothing changes. Add an adapter to the list once its incremental path is tested.
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
    {{- return(materialization_table_spark()) -}}
{% endmaterialization %}
