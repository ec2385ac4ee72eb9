{#- unique_combination_of_columns: no two rows share the same values in all the given columns.
    The repeated combinations come from repeated_keys() (macros/standardize/
    repeated_keys.sql): on DuckDB a 64-bit hash of the columns is grouped first and only the
    rows of repeated hashes are grouped by the columns themselves. A repeated combination always
    repeats its hash, so the test cannot pass falsely; a hash shared by two different
    combinations is dropped by the exact group by, so it cannot fail falsely. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{{ repeated_keys(model, combination_of_columns) }}
{% endtest %}
