{#-
    Pair tables.

    int_identity_web_pairs and int_identity_email_pairs hold every distinct pair of identifier
    columns of a large source once, with the earliest time the pair was seen:
        select <a>, <b>, min(<time>) as <first seen> from <source> group by <a>, <b>
    int_identity_edges reads them instead of aggregating tens of millions of web session-days
    and email events on every run.

    Incremental by date. The source's date log (`<source>__changed_dates`, written by the
    deduplication's hooks or by int_web_sessions_daily, macros/standardize/latest_version.sql)
    lists the dates on which source rows were deleted or written since this model last ran. A
    pair can only have changed if it has a source row on such a date now, or its earliest row was
    on such a date (that row may be gone). The pre-hook lists those pairs
    (`<model>__changed_pairs`) and deletes them; the model recomputes them over the whole source
    (an earlier row of the pair may be anywhere in its history); the post-hook empties the log.
    A null date in the log means every date: every pair is recomputed.

    Nulls are values here (a device never logged in is the pair (anonymous_id, null): it still
    lists its device), so pairs are matched with `is not distinct from`.
-#}

{% macro first_seen_pairs_changed_relation() %}
    {{- return(api.Relation.create(database=this.database, schema=this.schema,
                                   identifier=this.identifier ~ '__changed_pairs')) -}}
{% endmacro %}


{% macro _pair_matches(columns, left, right) -%}
    {%- for column in columns -%}
    {{ left }}.{{ column }} is not distinct from {{ right }}.{{ column }}{{ ' and ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- Pre-hook: list the pairs that may have changed and delete them. -#}
{% macro first_seen_pairs_prepare(source_relation, columns, source_date, first_seen_column) %}
    {%- if _is_unit_test() or not is_incremental() or not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set changed = first_seen_pairs_changed_relation() -%}
    create or replace table {{ changed }} as
    -- pairs whose earliest row was on a changed date (it may be gone)
    select {{ columns | join(', ') }}
    from {{ this }}
    where {{ changed_dates_filter(source_relation, 'cast(' ~ first_seen_column ~ ' as date)') }}
    union
    -- pairs with a row on a changed date now
    select {{ columns | join(', ') }}
    from {{ source_relation }}
    where {{ changed_dates_filter(source_relation, source_date) }};

    delete from {{ this }}
    where exists (
        select 1
        from {{ changed }} as changed
        where {{ _pair_matches(columns, 'changed', adapter.quote(this.identifier)) }}
    )
{% endmacro %}


{#- The model's filter on its source rows: every row on a first build, the rows of the changed
    pairs on an incremental run. -#}
{% macro first_seen_pairs_filter(columns, source_alias) %}
    {%- if _is_unit_test() or not is_incremental() -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    exists (
        select 1
        from {{ first_seen_pairs_changed_relation() }} as changed
        where {{ _pair_matches(columns, 'changed', source_alias) }}
    )
{%- endmacro %}


{#- Post-hook: the source's dates are absorbed; drop the scratch table. -#}
{% macro first_seen_pairs_finish(source_relation) %}
    {%- if _is_unit_test() or not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {{ clear_changed_dates(source_relation) }};
    drop table if exists {{ first_seen_pairs_changed_relation() }}
{% endmacro %}
