{#-
    Latest version wins (docs/architecture.md, "Incremental models").

    An int_*_deduplicated model keeps, per business key, the latest landed clean row of its
    int_*_validated relation: the last file in natural order, then the highest _source_row
    (latest_landed_order). A full build ranks every clean row. An incremental run (DuckDB,
    strategy delete+insert on the key) ranks only the keys whose winner can have changed and
    rewrites their rows; everything it needs is read in the model's own query from the
    validated relation and from the table itself ({{ this }}):

      fresh versions  clean rows the table has not seen: rows of file loads
                      (_source_file, _loaded_at) not in the table (new or reloaded files), rows
                      later than the table's latest timestamp (they were future_timestamp at the
                      previous run), and, when customers are watched, rows of a customer with no
                      kept row (they were unknown_customer);
      losing keys     keys whose kept row may not win any more: its file load is gone (file
                      removed or reloaded), it is at or after the earliest future_timestamp row
                      (the cutoff moved backward), or, when customers are watched, its customer
                      has unknown_customer rows now (the customer left the CRM).
    A key with a fresh version and a kept row that can still win is decided between the two: the
    kept row is the best of every version seen before. A losing key is ranked over all its clean
    versions. A losing key with no clean version left is written as a placeholder (every column
    null but the key) that the model's post-hook delete_removed_versions() deletes.

    Every written row carries `_written_at` (written_at(): when the build started), which the
    daily rollup int_web_sessions_daily uses to find the dates that changed since it last ran
    (builds are assumed to start later than the builds before them).
-#}

{#- latest_landed_order(relation): the order whose first row is a key's latest landed version.
    The one definition of "latest version wins", also used by dq_duplicates. -#}
{% macro latest_landed_order(relation=none) %}
    {%- set prefix = (relation ~ '.') if relation else '' -%}
    {{- return(natural_file_order(prefix ~ '_source_file') ~ ' desc, ' ~ prefix ~ '_source_row desc') -}}
{% endmacro %}


{#- written_at(): the start of this dbt invocation, as a timestamp literal. -#}
{% macro written_at() %}
    {{- return("cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as "
        ~ api.Column.translate_type('timestamp') ~ ")") -}}
{% endmacro %}


{#-
    latest_version_ctes(source_cte, key, columns): CTEs ending in `latest_versions`, one row per
    `key` of `source_cte` (its latest landed version), with `columns`. Only the keys that occur
    more than once (about 2 %) go through row_number(); they are found by a 64-bit hash bucket
    on DuckDB (macros/standardize/repeated_keys.sql) and ranked on the key itself, so the result
    is exact without sorting every wide row. Emit inside a `with`, followed by a comma.
-#}
{% macro latest_version_ctes(source_cte, key, columns) %}
repeated_buckets as (
    {{ repeated_key_buckets(source_cte, [key], key ~ ' is not null') | indent(4) }}
),

single_versions as (
    select {% for c in columns %}{{ source_cte }}.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ source_cte }}
    left join repeated_buckets
        on {{ key_bucket([source_cte ~ '.' ~ key]) }} = repeated_buckets.key_bucket
    where repeated_buckets.key_bucket is null
        or {{ source_cte }}.{{ key }} is null
),

ranked_versions as (
    select
        {% for c in columns %}{{ source_cte }}.{{ c }},
        {% endfor -%}
        row_number() over (
            partition by {{ source_cte }}.{{ key }}
            order by {{ latest_landed_order(source_cte) }}
        ) as version_rank
    from {{ source_cte }}
    inner join repeated_buckets
        on {{ key_bucket([source_cte ~ '.' ~ key]) }} = repeated_buckets.key_bucket
    where {{ source_cte }}.{{ key }} is not null
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


{#-
    latest_version_candidates(validated, key, columns, time_column, watch_customers, hint):
    CTEs ending in `candidates`, the clean rows to rank (with `columns`), and, on an incremental
    run, `changed_keys`. A full build ranks every clean row (`hint`: the CTE hint of that case,
    macro cte_hint). `time_column` is the column the future_timestamp check reads.
-#}
{% macro latest_version_candidates(validated, key, columns, time_column='event_at', watch_customers=false, hint='') %}
    {%- set cols = columns | join(', ') -%}
    {%- if not is_incremental() %}
candidates as {{ hint }}(
    select {{ cols }}
    from {{ validated }}
    where dq_reason is null
)
    {%- else -%}
    {%- set state = _latest_version_state(validated, time_column, watch_customers) -%}
    {%- set ts_type = api.Column.translate_type('timestamp') -%}
    {%- set new_loads = _file_loads_predicate('clean', state.new) -%}
    {%- set has_losing = state.gone | length > 0 or state.cutoff_moved_back or state.customers_left -%}
    {% do log(this.identifier ~ ': candidates ' ~ ('from the whole history (a kept row may not win any more)'
        if has_losing else 'from the kept rows and the new versions'), info=true) %}
    {%- set past_watermark = ('clean.' ~ time_column ~ " > cast('" ~ state.max_event_at ~ "' as " ~ ts_type ~ ')')
        if state.max_event_at is not none else '1 = 1' -%}
    {%- set seen = '(' ~ new_loads ~ ' or ' ~ past_watermark ~ ')' -%}
    {%- set new_customers = '(clean.customer_id is not null and clean.customer_id not in (select customer_id from '
        ~ this ~ ' where customer_id is not null))' -%}
    {#- rows of customers with no kept row, outside the new loads and the watermark: counted
        first with a narrow scan, read only when there are any -#}
    {%- set customer_rows = watch_customers and run_query('select count(*) from ' ~ validated
        ~ ' as clean where clean.dq_reason is null and ' ~ new_customers ~ ' and not coalesce(' ~ seen ~ ', false)'
        ).columns[0].values()[0] > 0 -%}
-- clean rows the table has not seen
fresh_versions as {{ cte_hint(materialized=true) }}(
    -- new and reloaded files ({{ state.new | length }}); rows later than every kept row (they
    -- were future_timestamp at the previous run)
    select {% for c in columns %}clean.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ validated }} as clean
    where clean.dq_reason is null
        and {{ seen }}
    {%- if customer_rows %}

    union all

    -- rows of customers with no kept row (they were unknown_customer at the previous run)
    select {% for c in columns %}clean.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ validated }} as clean
    where clean.dq_reason is null
        and {{ new_customers }}
        and not coalesce({{ seen }}, false)
    {%- endif %}
),

-- kept rows that may not win any more
losing_keys as (
    select kept.{{ key }}
    from {{ this }} as kept
    where
        {%- if not has_losing %} 1 = 0
        {%- else %}
        -- removed files, old loads of reloaded files ({{ state.gone | length }})
        {{ _file_loads_predicate('kept', state.gone) }}
        {%- if state.cutoff_moved_back %}
        -- the cutoff moved backward: at or after the earliest future_timestamp row
        or kept.{{ time_column }} >= cast('{{ state.first_future_at }}' as {{ ts_type }})
        {%- endif %}
        {%- if state.customers_left %}
        -- customers who left the CRM
        or kept.customer_id in (
            select customer_id from {{ validated }}
            where dq_reason = 'unknown_customer'
        )
        {%- endif %}
        {%- endif %}
),

changed_keys as (
    select {{ key }} from fresh_versions
    union
    select {{ key }} from losing_keys
),

candidates as {{ cte_hint(materialized=true) }}(
    select {{ cols }} from fresh_versions

    union all

    -- the kept row of a key with a fresh version: the best of the versions seen before
    select {{ cols }}
    from {{ this }}
    where {{ key }} in (select {{ key }} from fresh_versions)
        and {{ key }} not in (select {{ key }} from losing_keys)
    {%- if has_losing %}

    union all

    -- every clean version of a losing key
    select {{ cols }}
    from {{ validated }}
    where dq_reason is null
        and {{ key }} in (select {{ key }} from losing_keys)
    {%- endif %}
)
    {%- endif -%}
{% endmacro %}


{#- removed_versions(key, columns): on an incremental run, `union all` the placeholders of the
    changed keys with no version left (every column null but the key); nothing otherwise. -#}
{% macro removed_versions(key, columns) %}
    {%- if is_incremental() %}
    union all

    -- changed keys with no clean version left: placeholders, deleted by the post-hook
    select
        {%- for c in columns %}
        {{ key if c == key else 'null' }} as {{ c }},
        {%- endfor %}
        {{ written_at() }} as _written_at
    from changed_keys
    where {{ key }} not in (select {{ key }} from latest_versions)
    {%- endif %}
{% endmacro %}


{#- Post-hook of a deduplicated model: delete the placeholders of removed keys (no clean row
    has a null _source_file). -#}
{% macro delete_removed_versions() %}
    {%- if is_incremental() -%}
    delete from {{ this }} where _source_file is null
    {%- endif -%}
{% endmacro %}


{#- The table's state against the validated relation, in one scan of each: the file loads
    landed but not in the table (new), in the table but no longer landed (gone); the table's
    latest timestamp; whether the earliest future_timestamp row is at or before it (the cutoff
    moved backward). With watch_customers, whether a kept row's customer_id is missing from the
    customers the validated models check against (macro known_customer_ctes; the model names
    ref('stg_crm__customers') in a depends_on comment). Literals in the model's query let DuckDB
    filter the scans instead of joining every row. -#}
{% macro _latest_version_state(validated, time_column, watch_customers) %}
    {%- set state = {'new': [], 'gone': [], 'max_event_at': none, 'first_future_at': none,
                     'cutoff_moved_back': false, 'customers_left': false} -%}
    {%- if not execute -%}
        {{- return(state) -}}
    {%- endif -%}
    {%- set text = dbt.type_string() -%}
    {%- set state_sql %}
        with
        landed as (
            select
                _source_file,
                _loaded_at,
                min(case when dq_reason = 'future_timestamp' then {{ time_column }} end) as first_future_at
            from {{ validated }}
            group by _source_file, _loaded_at
        ),
        kept as (
            select _source_file, _loaded_at, max({{ time_column }}) as max_at
            from {{ this }}
            group by _source_file, _loaded_at
        ),
        times as (
            select
                (select max(max_at) from kept) as max_at,
                (select min(first_future_at) from landed) as first_future_at
        )
        select 'new', _source_file, cast(_loaded_at as {{ text }})
        from (select _source_file, _loaded_at from landed except select _source_file, _loaded_at from kept) as n
        union all
        select 'gone', _source_file, cast(_loaded_at as {{ text }})
        from (select _source_file, _loaded_at from kept except select _source_file, _loaded_at from landed) as g
        union all
        select 'max_event_at', null, cast(max_at as {{ text }}) from times
        union all
        select 'first_future_at', null, cast(first_future_at as {{ text }}) from times
        union all
        select 'cutoff_moved_back', null, case when first_future_at <= max_at then 'true' end from times
        order by 1, 2, 3
    {%- endset %}
    {%- for row in run_query(state_sql).rows -%}
        {%- if row[0] in ('new', 'gone') -%}
            {%- do state[row[0]].append((row[1], row[2])) -%}
        {%- else -%}
            {%- do state.update({row[0]: (row[2] == 'true') if row[0] == 'cutoff_moved_back' else row[2]}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if watch_customers -%}
        {%- set left_sql %}
            with
            {{ known_customer_ctes() }}
            select count(*)
            from (select distinct customer_id from {{ this }} where customer_id is not null) as kept
            cross join crm_presence
            where crm_presence.has_customers
                and kept.customer_id not in (select customer_id from known_customers)
        {%- endset %}
        {%- do state.update({'customers_left': run_query(left_sql).columns[0].values()[0] > 0}) -%}
    {%- endif -%}
    {%- do log(this.identifier ~ ': ' ~ state.new | length ~ ' new or reloaded and '
        ~ state.gone | length ~ ' removed file load(s)', info=false) -%}
    {{- return(state) -}}
{% endmacro %}


{#- A predicate: the row's (_source_file, _loaded_at) is one of `loads` (false if none). -#}
{% macro _file_loads_predicate(alias, loads) %}
    {%- if loads | length == 0 -%}
        {{- return('1 = 0') -}}
    {%- endif -%}
    {%- set terms = [] -%}
    {%- for f, t in loads -%}
        {%- do terms.append('(' ~ alias ~ "._source_file = " ~ sql_string(f) ~ " and "
            ~ alias ~ "._loaded_at = cast('" ~ t ~ "' as " ~ api.Column.translate_type('timestamp') ~ '))') -%}
    {%- endfor -%}
    {{- return('(' ~ terms | join(' or ') ~ ')') -}}
{% endmacro %}
