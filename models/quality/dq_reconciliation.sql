{#-
    Every raw row is accounted for, per source:
        raw_rows + rejected_lines = clean_rows + quarantined_rows + duplicate_rows_removed
    raw_rows        rows landed in the raw table (all files of the source)
    rejected_lines  lines the CSV reader could not parse (raw.<table>__rejects, distinct lines)
    clean_rows      rows of the clean, deduplicated int_*_deduplicated model
    quarantined_rows rows and lines in dq_quarantine (rejected lines included)
    duplicate_rows_removed  clean rows dropped as extra versions of a key (dq_duplicates)
    after_as_of_date_rows   clean rows dated after the as-of date (not after the build's clock):
                    not a data-quality problem but out of scope of the as-of computations
                    (a backtest's later rows, a fresher CRM export); part of clean_rows, so the
                    books above are unchanged. Null for a source without a timestamp column.
    The data test on `unaccounted_rows` fails the build when the books do not balance.
-#}
with

quarantine as (
    select * from {{ ref('dq_quarantine') }}
),

duplicates as (
    select * from {{ ref('dq_duplicates') }}
),

quarantine_counts as (
    select
        source,
        count(*) as quarantined_rows,
        sum(case when reason_code = 'unparseable_line' then 1 else 0 end) as quarantined_lines
    from quarantine
    group by source
),

duplicate_counts as (
    select
        source,
        sum(rows_removed) as duplicate_rows_removed,
        sum(case when is_conflicting then 1 else 0 end) as conflicting_keys
    from duplicates
    group by source
),

source_counts as (
    {% for s in dq_sources() %}
    select
        '{{ s.source }}' as source,
        (select count(*) from {{ source(s.source_name, s.table) }}) as raw_rows,
        (
            select count(*)
            from (
                select distinct _source_file, line_number
                from {{ raw_rejects(s.source_name, s.table) }} as rejects
            ) as rejected
        ) as rejected_lines,
        (select count(*) from {{ ref(s.clean) }}) as clean_rows,
        {% if s.timestamp -%}
        (
            select count(*) from {{ ref(s.clean) }}
            where {{ s.timestamp }} >= {{ as_of_timestamp() }}
        )
        {%- else -%}
        cast(null as {{ dbt.type_bigint() }})
        {%- endif %} as after_as_of_date_rows
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

final as (
    select
        source_counts.source,
        cast(source_counts.raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(source_counts.rejected_lines as {{ dbt.type_bigint() }}) as rejected_lines,
        cast(source_counts.clean_rows as {{ dbt.type_bigint() }}) as clean_rows,
        cast(coalesce(quarantine_counts.quarantined_rows, 0) as {{ dbt.type_bigint() }}) as quarantined_rows,
        cast(coalesce(duplicate_counts.duplicate_rows_removed, 0) as {{ dbt.type_bigint() }}) as duplicate_rows_removed,
        cast(coalesce(duplicate_counts.conflicting_keys, 0) as {{ dbt.type_bigint() }}) as conflicting_keys,
        cast(source_counts.after_as_of_date_rows as {{ dbt.type_bigint() }}) as after_as_of_date_rows,
        cast(
            source_counts.raw_rows + source_counts.rejected_lines
            - source_counts.clean_rows
            - coalesce(quarantine_counts.quarantined_rows, 0)
            - coalesce(duplicate_counts.duplicate_rows_removed, 0)
            as {{ dbt.type_bigint() }}
        ) as unaccounted_rows,
        source_counts.raw_rows + source_counts.rejected_lines
            = source_counts.clean_rows
            + coalesce(quarantine_counts.quarantined_rows, 0)
            + coalesce(duplicate_counts.duplicate_rows_removed, 0) as is_reconciled,
        {{ as_of_date() }} as as_of_date
    from source_counts
    left join quarantine_counts
        on source_counts.source = quarantine_counts.source
    left join duplicate_counts
        on source_counts.source = duplicate_counts.source
)

select * from final
