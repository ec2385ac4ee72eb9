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
{#- issue 7: only keys that occur more than once need versions, hashes and count(distinct):
    find them on one narrow column first (~2 % of the keys), then work on their rows only -#}
{{ s.validated }}_repeated_keys as (
    select {{ s.key }} as business_key
    from {{ ref(s.validated) }}
    where dq_reason is null
    group by {{ s.key }}
    having count(*) > 1
),

{{ s.validated }}_versions as (
    select
        {{ s.key }} as business_key,
        _source_file,
        _source_row,
        {% for c in s.compare %}
        coalesce({{ dbt.safe_cast(c, dbt.type_string()) }}, '<null>') as {{ c }},
        {% endfor %}
        {{ dbt.hash(version_fingerprint(s.compare)) }} as version_hash
    from {{ ref(s.validated) }}
    where dq_reason is null
        and {{ s.key }} in (select business_key from {{ s.validated }}_repeated_keys)
),

{{ s.validated }}_dups as (
    select
        '{{ s.source }}' as source,
        versions.business_key,
        count(*) as n_rows,
        count(distinct versions.version_hash) as n_versions,
        {{ differing_columns_list(s.compare, 'versions') }} as differing_columns
    from {{ s.validated }}_versions as versions
    group by versions.business_key
    having count(*) > 1
),

{{ s.validated }}_kept as (
    select
        '{{ s.source }}' as source,
        {{ s.key }} as business_key,
        _source_file as kept_source_file,
        _source_row as kept_source_row
    from {{ ref(s.clean) }}
),

{% endfor %}
unioned as (
    {% for s in dq_sources() %}
    select
        dups.source,
        dups.business_key,
        dups.n_rows,
        dups.n_versions,
        dups.differing_columns,
        kept.kept_source_file,
        kept.kept_source_row
    from {{ s.validated }}_dups as dups
    left join {{ s.validated }}_kept as kept
        on dups.business_key = kept.business_key
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
