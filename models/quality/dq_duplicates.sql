{#-
    Business keys that occur more than once among the clean (not quarantined) rows of a source,
    before deduplication. One row per source and key:
      n_rows            rows that carried the key (n_rows - 1 were removed by deduplication)
      n_versions        distinct versions among them (1 = exact duplicates only)
      is_conflicting    the versions differ in at least one compared column
      differing_columns which compared columns differ, comma-separated
      kept_*            the row the int_*_deduplicated model kept
    Conflicting duplicates are reported here, not hidden: the int_*_deduplicated models keep one
    version by a documented rule (latest updated_at for customers, latest landed row otherwise).
-#}
with

{% for s in dq_sources() %}
{#- Only keys that occur more than once need versions, hashes and count(distinct):
    find the candidate buckets (a 64-bit hash of the key on DuckDB, macros/standardize/
    repeated_keys.sql) on one narrow column first (~2 % of the keys), then work on their rows
    only. A key that merely shares a hash with another is dropped by `having count(*) > 1` on
    the key itself, so the result is exact. -#}
{{ s.validated }}_repeated_buckets as (
    {{ repeated_key_buckets(ref(s.validated), [s.key], 'dq_reason is null') | indent(4) }}
),

{#- the kept row is the first by the rule of the source's int_*_deduplicated model
    (dq_sources() kept_order), ranked among the key's own rows: no scan of the clean table -#}
{{ s.validated }}_candidates as (
    select
        *,
        row_number() over (
            partition by {{ s.key }}
            order by {{ s.kept_order | default(latest_landed_order()) }}
        ) as version_rank
    from {{ ref(s.validated) }}
    where dq_reason is null
        and {{ key_bucket([s.key]) }} in (select key_bucket from {{ s.validated }}_repeated_buckets)
),

{{ s.validated }}_versions as (
    select
        {{ s.key }} as business_key,
        _source_file,
        _source_row,
        version_rank,
        {% for c in s.compare %}
        coalesce({{ dbt.safe_cast(c, dbt.type_string()) }}, '<null>') as {{ c }},
        {% endfor %}
        {{ dbt.hash(version_fingerprint(s.compare)) }} as version_hash
    from {{ s.validated }}_candidates
),

{{ s.validated }}_dups as (
    select
        '{{ s.source }}' as source,
        versions.business_key,
        count(*) as n_rows,
        count(distinct versions.version_hash) as n_versions,
        {{ differing_columns_list(s.compare, 'versions') }} as differing_columns,
        max(case when versions.version_rank = 1 then versions._source_file end) as kept_source_file,
        max(case when versions.version_rank = 1 then versions._source_row end) as kept_source_row
    from {{ s.validated }}_versions as versions
    group by versions.business_key
    having count(*) > 1
),

{% endfor %}
unioned as (
    {% for s in dq_sources() %}
    select
        source,
        business_key,
        n_rows,
        n_versions,
        differing_columns,
        kept_source_file,
        kept_source_row
    from {{ s.validated }}_dups
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

final as (
    select
        source,
        business_key,
        cast(n_rows as {{ dbt.type_bigint() }}) as n_rows,
        cast(n_versions as {{ dbt.type_bigint() }}) as n_versions,
        n_versions > 1 as is_conflicting,
        case when n_versions > 1 then differing_columns end as differing_columns,
        cast(n_rows - 1 as {{ dbt.type_bigint() }}) as rows_removed,
        kept_source_file,
        kept_source_row
    from unioned
)

select * from final
