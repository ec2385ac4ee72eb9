{#-
    latest_version_ctes(source_cte, key, columns): CTEs that keep one row per `key` of the CTE
    `source_cte` (non-null keys), the latest landed version (highest _source_file, then
    _source_row), and end in a CTE `latest_versions` with the given columns.

    issue 7 (docs/benchmarks.md): only the keys that occur more than once (about 2 % in practice)
    go through row_number(); the others pass straight through. The result is the same as ranking
    every row, without sorting every wide row (at 100k customers the plain window was the
    slowest step of deduplicating 11M web events). Emit it inside a `with`, followed by a comma:
        {{ latest_version_ctes('web_events', 'event_id', ['event_id', ...]) }},
-#}
{% macro latest_version_ctes(source_cte, key, columns) %}
repeated_keys as (
    select {{ key }}
    from {{ source_cte }}
    group by {{ key }}
    having count(*) > 1
),

single_versions as (
    select
        {% for c in columns %}{{ source_cte }}.{{ c }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ source_cte }}
    left join repeated_keys
        on {{ source_cte }}.{{ key }} = repeated_keys.{{ key }}
    where repeated_keys.{{ key }} is null
),

ranked_versions as (
    select
        {% for c in columns %}{{ source_cte }}.{{ c }},
        {% endfor -%}
        row_number() over (
            partition by {{ source_cte }}.{{ key }}
            order by {{ source_cte }}._source_file desc, {{ source_cte }}._source_row desc
        ) as version_rank
    from {{ source_cte }}
    inner join repeated_keys
        on {{ source_cte }}.{{ key }} = repeated_keys.{{ key }}
),

latest_versions as (
    select {{ columns | join(', ') }}
    from ranked_versions
    where version_rank = 1

    union all

    select {{ columns | join(', ') }}
    from single_versions
)
{%- endmacro %}
