{#-
    tie_aware_decile(column, partition_by=none)

    Decile 1..10 of `column` (10 = highest) from its percent rank: 1 + floor(10 * share of the
    rows with a strictly lower value), capped at 10. Equal values get the same decile, and a
    value shared by everybody is decile 1, so a constant score never puts anyone in a top
    decile. On continuous scores the deciles are the usual equal-sized tenths. `partition_by`
    (SQL expression) ranks within groups, e.g. to leave null scores out of the ranking.
-#}
{% macro tie_aware_decile(column, partition_by=none) -%}
    cast(least(
        10,
        1 + floor(10 * percent_rank() over (
            {%- if partition_by %} partition by {{ partition_by }}{% endif %} order by {{ column }}))
    ) as {{ api.Column.translate_type('bigint') }})
{%- endmacro %}
