{#-
    The quarantine: every raw row or line that did not make it into the clean tables, with why.
    One table for all sources (see dq_quarantine.yml for the reason codes):
      - staged rows whose final dq_reason is set (staging checks + contextual checks in the
        int_*_validated models), with the row's raw values as JSON-like text;
      - lines the CSV reader rejected (raw.<table>__rejects), one row per line, reason
        `unparseable_line`, the line itself as raw_values.
    Duplicates are not quarantined: they are counted in dq_duplicates.
-#}
with

{% for s in dq_sources() %}
{%- set src = source(s.source_name, s.table) -%}
{%- set raw_columns = [] -%}
{%- if execute -%}
    {%- for node in graph.sources.values()
        if node.source_name == s.source_name and node.name == s.table -%}
        {%- for c in node.columns.keys() -%}{%- do raw_columns.append(c) -%}{%- endfor -%}
    {%- endfor -%}
{%- endif -%}
{%- if raw_columns | length == 0 -%}{%- do raw_columns.append(s.key) -%}{%- endif -%}
{{ s.validated }} as (
    select
        '{{ s.source }}' as source,
        validated.{{ s.key }} as business_key,
        validated.dq_reason as reason_code,
        cast(null as {{ dbt.type_string() }}) as reason_detail,
        {{ json_text(raw_columns, 'raw_rows') }} as raw_values,
        validated._source_file,
        validated._source_row
    from {{ ref(s.validated) }} as validated
    inner join {{ src }} as raw_rows
        on validated._source_file = raw_rows._source_file
        and validated._source_row = raw_rows._source_row
    where validated.dq_reason is not null
),

{{ s.source_name }}_{{ s.table }}_rejects as (
    select
        '{{ s.source }}' as source,
        cast(null as {{ dbt.type_string() }}) as business_key,
        'unparseable_line' as reason_code,
        min(rejects.error_type) as reason_detail,
        min(rejects.raw_line) as raw_values,
        rejects._source_file,
        rejects.line_number as _source_row
    from {{ raw_rejects(s.source_name, s.table) }} as rejects
    group by rejects._source_file, rejects.line_number
),

{% endfor %}
unioned as (
    {% for s in dq_sources() %}
    select * from {{ s.validated }}
    union all
    select * from {{ s.source_name }}_{{ s.table }}_rejects
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'source', "'|'", 'reason_code', "'|'", '_source_file', "'|'",
            dbt.safe_cast('_source_row', dbt.type_string())
        ])) }} as quarantine_id,
        source,
        business_key,
        reason_code,
        reason_detail,
        raw_values,
        _source_file,
        _source_row,
        {{ as_of_date() }} as as_of_date
    from unioned
)

select * from final
