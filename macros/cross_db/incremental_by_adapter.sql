{#-
    Where incremental models run incrementally, chosen in this one place.

    Every incremental model sets `materialized=incremental_materialization()`. Its incremental
    runs replace rows of its own table with dbt's built-in strategies (`delete+insert` on the
    model's key, or `append`), which needs an engine that can delete rows. DuckDB can; Spark
    without Delta or Iceberg (Parquet tables) cannot, so there the model is a `table`, rebuilt in
    full on every run: dbt's is_incremental() is false for a table, so the incremental filters
    and the hooks (each renders nothing unless is_incremental()) read and do everything. Models
    that keep a history across runs (model_runs, segment_transitions) hold only the current
    run's rows there. Add an adapter to the list once its incremental path is tested.
-#}
{% macro incremental_materialization() %}
    {{- return('incremental' if target.type in ['duckdb'] else 'table') -}}
{% endmacro %}
