{#-
    The built-in `unique` test on DuckDB, hash first.

    dbt's default groups the column itself (`group by <column> having count(*) > 1`): one string
    group per distinct value, e.g. tens of millions of trigger event ids at 1M customers, every
    time the realtime selection runs. This override keeps the test's contract (the same failing
    rows: `unique_field`, `n_records`, nulls ignored) and finds them as repeated_keys() does
    (macros/standardize/repeated_keys.sql): a 64-bit hash of the value is grouped first, and only
    the rows of repeated hashes are grouped by the value itself. A repeated value always repeats
    its hash, so the test cannot pass falsely; two values sharing a hash are separated by the
    exact group by, so it cannot fail falsely.

    dbt dispatches `test_unique` in its own namespace, searching the root project first, so this
    macro replaces `default__test_unique` on DuckDB only; other adapters keep dbt's.
-#}
{% macro duckdb__test_unique(model, column_name) %}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
    and {{ key_bucket([column_name]) }} in (
        {{ repeated_key_buckets(model, [column_name], column_name ~ ' is not null') | indent(8) }}
    )
group by {{ column_name }}
having count(*) > 1
{% endmacro %}
