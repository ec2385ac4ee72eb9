{#-
    latest_version_ctes(source_cte, key, columns): CTEs that keep one row per `key` of the CTE
    `source_cte` (rows with a null key all pass through), the latest landed version (last file in
    natural order, then highest _source_row), and end in a CTE `latest_versions` with the given columns.

    Only the keys that occur more than once (about 2 % in practice)
    go through row_number(); the others pass straight through. The result is the same as ranking
    every row, without sorting every wide row (the plain window is the slowest step of
    deduplicating tens of millions of web events). The repeated keys are found by their bucket
    (macros/standardize/repeated_keys.sql: a 64-bit hash on DuckDB), so neither the aggregate
    nor the split of the rows groups or joins the key text: rows of a bucket seen once are
    single versions; the rows of repeated buckets (the repeated keys, plus any key sharing a hash
    with another) are ranked by the key itself, which keeps the result exact. Emit it inside a
    `with`, followed by a comma:
        {{ latest_version_ctes('web_events', 'event_id', ['event_id', ...]) }},
-#}
{#- latest_landed_order(relation): the order whose first row is a key's latest landed version
    (last file in natural order, macros/raw/natural_file_order.sql, then highest _source_row).
    The one definition of "latest version wins" used by every int_*_deduplicated model and by dq_duplicates to name the kept row. -#}
{% macro latest_landed_order(relation=none) %}
    {%- set prefix = (relation ~ '.') if relation else '' -%}
    {{- return(natural_file_order(prefix ~ '_source_file') ~ ' desc, ' ~ prefix ~ '_source_row desc') -}}
{% endmacro %}


{% macro latest_version_ctes(source_cte, key, columns) %}
repeated_buckets as (
    {{ repeated_key_buckets(source_cte, [key], key ~ ' is not null') | indent(4) }}
),

single_versions as (
    select
        {% for c in columns %}{{ source_cte }}.{{ c }}{{ ',' if not loop.last }}
        {% endfor %}
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
    Incremental deduplication (docs/architecture.md, "Incremental models").

    A `*_deduplicated` model keeps, per business key, the latest landed clean row of its
    `*_validated` relation. On an incremental run only the keys whose winner can have changed are
    re-ranked: the pre-hook latest_version_prepare() writes them to a scratch table
    `<model>__changed_keys`, their candidate versions to `<model>__candidates`, and deletes
    their rows from the model; the model body (source: latest_version_source()) ranks the
    candidates and appends the winners; the post-hook latest_version_finish() logs the event
    dates touched (for the daily rollups read from the table) and drops the scratch tables. The state it needs is in the table itself:
    each kept row carries `_loaded_at` (the load of its file) and its timestamp, `time_column`
    (the column the future_timestamp check reads: `event_at` for events, `ordered_at` for
    int_orders_deduplicated; "event_at" below means that column). The validated relation may be
    a view (events: re-read on each run) or a table (orders, rebuilt earlier in the same run).

    Changed keys, each exact by construction:
      new_files       clean rows of files whose (_source_file, _loaded_at) is not in the table:
                      new files, reloaded (edited) files, and files none of whose rows won so far
                      (re-ranked again, harmless);
      gone_files      kept rows whose (_source_file, _loaded_at) is no longer landed: removed
                      files and the old load of reloaded files (another version may win now);
      now_quarantined for each of the `moving_reasons`, the reasons the validated model decides
                      from things other than the row: future_timestamp (the cutoff moved
                      backward): kept rows at or after the earliest future_timestamp row;
                      unknown_customer (a customer left the CRM): kept rows of a customer id
                      that now has unknown_customer rows;
      past_watermark  clean rows later than the table's latest event_at: every row that was a
                      future_timestamp at the previous run is later than every kept row, so this
                      covers the as-of date moving forward (it also holds the rare losing versions
                      of recent keys);
      customer_new    (check_customers) clean rows of a customer_id with no kept row: every row
                      that was unknown_customer at the previous run is one of them.
    A newer version that is quarantined is not clean, so it never wins and never deletes.
    A table built before `_loaded_at` was kept is rebuilt in the same run (every key changes;
    the pre-hook empties it with `create or replace`, see latest_version_prepare).
-#}

{#- The scratch relation holding this run's changed keys. -#}
{% macro latest_version_changed_keys_relation() %}
    {{- return(api.Relation.create(database=this.database, schema=this.schema,
                                   identifier=this.identifier ~ '__changed_keys')) -}}
{% endmacro %}


{#- The pending event dates the daily rollup of this model has not absorbed yet. -#}
{% macro latest_version_changed_dates_relation(model_relation) %}
    {{- return(api.Relation.create(database=model_relation.database, schema=model_relation.schema,
                                   identifier=model_relation.identifier ~ '__changed_dates')) -}}
{% endmacro %}


{#- The scratch relation holding this run's candidate rows: every clean version the body must
    rank (see latest_version_prepare). -#}
{% macro latest_version_candidates_relation() %}
    {{- return(api.Relation.create(database=this.database, schema=this.schema,
                                   identifier=this.identifier ~ '__candidates')) -}}
{% endmacro %}


{#- Body source: the clean rows to rank. A full build ranks every clean row of the validated
    relation; an incremental run ranks the candidates the pre-hook wrote. -#}
{% macro latest_version_source(validated_relation) %}
    {%- if not _is_unit_test() and is_incremental() -%}
        select * from {{ latest_version_candidates_relation() }}
    {%- else -%}
        select * from {{ validated_relation }}
        where dq_reason is null
    {%- endif -%}
{% endmacro %}


{#- Pre-hook: write the changed keys and the candidate rows, log the keys' current event dates,
    delete their rows.

    Changed keys carry why they changed (`why`): 'fresh' (a clean row in a new load or past the
    watermark), 'customer' (only a clean row of a customer with no kept row), 'history' (a kept
    row that may not win any more: gone load, now quarantined).
    Candidates:
      - no 'history' key (the usual appended day): the winner of a changed key is the best of
        its current kept row (the best of every version that was clean before and still is)
        and its newly clean versions. The candidates are the clean rows of the new loads and
        past the watermark, each read with one simple filter the scan applies itself (the
        loads on _source_file/_loaded_at, the watermark on the time column's zone maps), plus,
        only when there are 'customer' keys, their rows. The kept rows are compared on their
        ranking columns only (`<model>__kept_versions`, a narrow scan): a kept row that beats
        every new version of its key stays, and the key leaves the changed keys;
      - otherwise every clean version of every changed key, found by key over the whole
        validated relation, as before: at 1M customers that scan read every column of 110M web
        events (about 9 s of the incremental day).
    The validated relation must hold every column of the model (the candidates are its rows). -#}
{% macro latest_version_prepare(validated_relation, key, moving_reasons=['future_timestamp'], check_customers=false, log_dates=false, time_column='event_at') %}
    {%- if _is_unit_test() or not is_incremental() or not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set changed = latest_version_changed_keys_relation() -%}
    {%- set candidates = latest_version_candidates_relation() -%}
    {%- set kept_versions = api.Relation.create(database=this.database, schema=this.schema,
                                                identifier=this.identifier ~ '__kept_versions') -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- set row_columns = adapter.get_columns_in_relation(validated_relation) | map(attribute='name')
        | map('lower') | reject('equalto', 'dq_reason') | list -%}
    {%- set has_state = '_loaded_at' in columns -%}
    {%- set ts_type = api.Column.translate_type('timestamp') -%}
    {%- if not has_state -%}
        {% do log(this.identifier ~ ': no _loaded_at column yet, every key is re-ranked in this run', info=true) %}
    create or replace table {{ candidates }} as
    select {{ row_columns | join(', ') }}
    from {{ validated_relation }}
    where dq_reason is null;

    create or replace table {{ changed }} as
    select {{ key }} from {{ candidates }} where {{ key }} is not null
    union
    select {{ key }} from {{ this }} where {{ key }} is not null;
    {%- if log_dates %}

    {{ _log_changed_dates(this, key) }};
    {%- endif %}

    {#- every key changes: empty the table by replacing it, not with a delete: DuckDB cannot
        commit a delete and then the materialization's `alter table` (on_schema_change: the
        new `_loaded_at` column, a dropped column) in one transaction -#}
    create or replace table {{ this }} as
    select * from {{ this }}
    where 1 = 0
    {%- else -%}
    {%- set state = _latest_version_state(validated_relation, time_column) -%}
    {% do log(this.identifier ~ ': ' ~ state.new | length ~ ' new or reloaded and ' ~ state.gone | length ~ ' removed file load(s)', info=false) %}
    {%- set watch_unknown = 'unknown_customer' in moving_reasons -%}
    {%- set new_loads = _file_loads_predicate('clean', state.new) -%}
    {%- if state.max_event_at is not none -%}
        {%- set past_watermark = 'clean.' ~ time_column ~ ' > cast(\'' ~ state.max_event_at ~ '\' as ' ~ ts_type ~ ')' -%}
    {%- else -%}
        {%- set past_watermark = '1 = 1' -%}
    {%- endif -%}
    {%- set changed_sql %}
    create or replace table {{ changed }} as
    with
    {%- if check_customers %}
    kept_customers as (
        select distinct customer_id from {{ this }}
        where customer_id is not null
    ),
    {%- endif %}

    {# one pass over the validated rows for every branch that reads them; the literals of the
       state query filter the rows, so only the rows of changed keys leave the scan -#}
    {#- read twice when unknown customers are watched: materialized once on DuckDB (macro
        cte_hint; other engines plan the CTE themselves) -#}
    validated_rows as {{ cte_hint(materialized=true) if watch_unknown }}(
        select
            clean.{{ key }},
            clean.dq_reason,
            case
                when {{ new_loads }} then 'fresh'
                when {{ past_watermark }} then 'fresh'
                else 'customer'
            end as why
            {%- if watch_unknown %},
            clean.customer_id
            {%- endif %}
        from {{ validated_relation }} as clean
        {%- if check_customers %}
        left join kept_customers
            on clean.customer_id = kept_customers.customer_id
        {%- endif %}
        where (
            clean.dq_reason is null
            and (
                -- new and reloaded files ({{ state.new | length }})
                {{ new_loads }}
                -- rows that were after the previous cutoff: cutoff moved forward
                or {{ past_watermark }}
                {%- if check_customers %}
                -- rows of customers with no kept row: customer (re)joined the CRM
                or (clean.customer_id is not null and kept_customers.customer_id is null)
                {%- endif %}
            )
        )
        {%- if watch_unknown %}
            -- customers unknown now (they left the CRM): their kept rows change below
            or clean.dq_reason = 'unknown_customer'
        {%- endif %}
    ),

    changed_keys as (
        select {{ key }}, why
        from validated_rows
        where dq_reason is null

        union all

        -- one pass over the kept rows
        select kept.{{ key }}, 'history' as why
        from {{ this }} as kept
        where
            -- removed files, old loads of reloaded files ({{ state.gone | length }})
            {{ _file_loads_predicate('kept', state.gone) }}
            {%- if 'future_timestamp' in moving_reasons and state.first_future_at is not none %}
            -- kept rows after the cutoff now: it moved backward (every such row is at or after
            -- the earliest future_timestamp row)
            or kept.{{ time_column }} >= cast('{{ state.first_future_at }}' as {{ ts_type }})
            {%- endif %}
            {%- if watch_unknown %}
            -- kept rows of a customer unknown now: the customer left the CRM
            or kept.customer_id in (
                select customer_id from validated_rows
                where dq_reason = 'unknown_customer'
            )
            {%- endif %}
    )

    {#- one row per key, its strongest reason: history > customer > fresh -#}
    select
        {{ key }},
        max(case why when 'history' then 3 when 'customer' then 2 else 1 end) as why_rank
    from changed_keys
    where {{ key }} is not null
    group by {{ key }}
    {%- endset %}
    {% do run_query(changed_sql) %}
    {%- set reasons = run_query(
        'select coalesce(max(why_rank), 0), count(case when why_rank = 2 then 1 end) from ' ~ changed).rows[0] -%}
    {#- the kept rows can only stand in for versions when the model holds every row column -#}
    {%- set model_lacks_columns = row_columns | reject('in', columns) | list | length > 0 -%}
    {%- set needs_history = reasons[0] == 3 or model_lacks_columns -%}
    {% do log(this.identifier ~ ': candidates '
        ~ ('from the whole history (a kept row may not win any more)' if needs_history
           else 'from the kept rows and the new versions (' ~ reasons[1] ~ ' keys of customers new to the table)'), info=true) %}
    create or replace table {{ candidates }} as
    {%- if needs_history %}
    select {{ row_columns | join(', ') }}
    from {{ validated_relation }}
    where dq_reason is null
        and {{ key }} in (select {{ key }} from {{ changed }});
    {%- else %}
    -- clean rows of the new loads ({{ state.new | length }})
    select {{ row_columns | join(', ') }}
    from {{ validated_relation }} as clean
    where clean.dq_reason is null
        and {{ new_loads }}

    union all

    -- clean rows past the watermark, not in a new load
    select {{ row_columns | join(', ') }}
    from {{ validated_relation }} as clean
    where clean.dq_reason is null
        and {{ past_watermark }}
        and not coalesce({{ new_loads }}, false)
    {%- if reasons[1] > 0 %}

    union all

    -- every clean row of the keys of customers with no kept row ({{ reasons[1] }}), not read above
    select {{ row_columns | join(', ') }}
    from {{ validated_relation }} as clean
    where clean.dq_reason is null
        and clean.{{ key }} in (select {{ key }} from {{ changed }} where why_rank = 2)
        and not coalesce({{ new_loads }}, false)
        and not coalesce({{ past_watermark }}, false)
    {%- endif %}
    ;

    {#- the kept versions of the changed keys, ranking columns only: a narrow scan of the
        table (selecting every column of its matching rows read every column of 110M web
        events at 1M customers) -#}
    create or replace table {{ kept_versions }} as
    select {{ key }}, _source_file, _source_row{{ ', event_at' if log_dates }}
    from {{ this }}
    where {{ key }} in (select {{ key }} from {{ changed }});

    -- a kept row that beats every new version of its key stays as it is: its key is unchanged
    delete from {{ changed }}
    where {{ key }} in (
        select kept.{{ key }}
        from {{ kept_versions }} as kept
        where not exists (
            select 1
            from {{ candidates }} as fresh
            where fresh.{{ key }} = kept.{{ key }}
                and (
                    {{ natural_file_order('fresh._source_file') }} > {{ natural_file_order('kept._source_file') }}
                    or (fresh._source_file = kept._source_file and fresh._source_row > kept._source_row)
                )
        )
    );

    delete from {{ candidates }}
    where {{ key }} not in (select {{ key }} from {{ changed }});
    {%- if log_dates %}

    {#- the dates the deleted kept rows leave -#}
    {{ _log_changed_dates(kept_versions, key) }};
    {%- endif %}

    drop table {{ kept_versions }};
    {%- endif %}
    {%- if log_dates and needs_history %}

    {{ _log_changed_dates(this, key) }};
    {%- endif %}

    delete from {{ this }}
    where {{ key }} in (select {{ key }} from {{ changed }})
    {%- endif %}
{% endmacro %}


{#- Post-hook: log the event dates of the rows written, drop the scratch tables. A full build
    logs a null date: the daily rollup must be rebuilt whole. -#}
{% macro latest_version_finish(key, log_dates=false) %}
    {%- if _is_unit_test() or not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set changed = latest_version_changed_keys_relation() -%}
    {%- if log_dates %}
    {%- if is_incremental() %}
    {#- the dates the appended winners enter: every candidate's (a superset; a rollup date
        recomputed without a change gives the same rows) -#}
    {{ _log_changed_dates(latest_version_candidates_relation()) }};
    {%- else %}
    create table if not exists {{ latest_version_changed_dates_relation(this) }} (event_date date);
    insert into {{ latest_version_changed_dates_relation(this) }} values (null);
    {%- endif %}
    {%- endif %}
    drop table if exists {{ changed }};
    drop table if exists {{ latest_version_candidates_relation() }}
{% endmacro %}


{#- Statements (no trailing semicolon): append to this model's date log the distinct event dates
    of `relation`'s rows, only those of this run's changed keys when `key` is given. Called with
    the model itself before its rows of changed keys are deleted (the dates a version leaves:
    runs that read the whole history), with `<model>__kept_versions` for the same on the usual
    path, and with the candidates after the winners are appended (the dates they enter). -#}
{% macro _log_changed_dates(relation, key=none) %}
    {%- set dates = latest_version_changed_dates_relation(this) -%}
    create table if not exists {{ dates }} (event_date date);

    insert into {{ dates }}
    select distinct cast(event_at as date)
    from {{ relation }}
    {%- if key %}
    where {{ key }} in (select {{ key }} from {{ latest_version_changed_keys_relation() }})
    {%- endif %}
{%- endmacro %}


{#-
    Daily rollups of a deduplicated model (int_web_sessions_daily): the event dates whose rows
    changed since the rollup last ran, logged by latest_version_prepare/finish. A null date (a full
    build of the deduplicated model) or a missing log means every date.
-#}
{% macro changed_dates_filter(deduplicated_relation, date_expression) %}
    {%- if _is_unit_test() or not is_incremental() or not execute -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {%- set dates = latest_version_changed_dates_relation(deduplicated_relation) -%}
    {%- if adapter.get_relation(dates.database, dates.schema, dates.identifier) is none -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {%- set everything = run_query('select count(*) from ' ~ dates ~ ' where event_date is null').columns[0].values()[0] -%}
    {%- if everything > 0 -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {{- return(date_expression ~ ' in (select event_date from ' ~ dates ~ ')') -}}
{% endmacro %}


{#- Pre-hook of the rollup: on incremental runs delete the rows of the changed dates. -#}
{% macro delete_changed_dates(deduplicated_relation, date_column) %}
    {%- if _is_unit_test() or not is_incremental() or not execute -%}
        {{- return('') -}}
    {%- endif -%}
    delete from {{ this }}
    where {{ changed_dates_filter(deduplicated_relation, date_column) }}
{% endmacro %}


{#- Post-hook of the rollup: the logged dates are absorbed. -#}
{% macro clear_changed_dates(deduplicated_relation) %}
    {%- if _is_unit_test() or not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set dates = latest_version_changed_dates_relation(deduplicated_relation) -%}
    create table if not exists {{ dates }} (event_date date);
    delete from {{ dates }} where 1 = 1
{% endmacro %}


{#- Post-hook of a rollup that is itself read by date (int_web_sessions_daily, read by
    int_identity_web_pairs, macros/identity/first_seen_pairs.sql): append the dates it recomputed
    to its own log (`<rollup>__changed_dates`; a null date, every date, after a first build or
    when it recomputed every date), then empty the deduplicated model's log. -#}
{% macro forward_changed_dates(deduplicated_relation) %}
    {%- if _is_unit_test() or not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set own = latest_version_changed_dates_relation(this) -%}
    {%- set recomputed = changed_dates_filter(deduplicated_relation, 'event_date') -%}
    create table if not exists {{ own }} (event_date date);

    insert into {{ own }}
    {%- if recomputed == '1 = 1' %}
    values (null);
    {%- else %}
    select distinct event_date from {{ latest_version_changed_dates_relation(deduplicated_relation) }};
    {%- endif %}

    {{ clear_changed_dates(deduplicated_relation) }}
{% endmacro %}


{#- The table's state against the validated relation, read with one small query: the file
    loads landed but not in the table (new), in the table but no longer landed (gone), the
    table's latest event_at and the view's earliest future_timestamp row (one scan of each
    relation). Literals in the changed-keys query let DuckDB filter the scans instead of
    hash-joining every row against the file lists. -#}
{% macro _latest_version_state(validated_relation, time_column='event_at') %}
    {%- set files_sql %}
        with
        landed as (
            select
                _source_file,
                _loaded_at,
                min(case when dq_reason = 'future_timestamp' then {{ time_column }} end) as first_future_at
            from {{ validated_relation }}
            group by _source_file, _loaded_at
        ),
        kept as (
            select
                _source_file,
                _loaded_at,
                max({{ time_column }}) as max_event_at
            from {{ this }}
            group by _source_file, _loaded_at
        ),
        new_loads as (
            select _source_file, _loaded_at from landed
            except
            select _source_file, _loaded_at from kept
        ),
        gone_loads as (
            select _source_file, _loaded_at from kept
            except
            select _source_file, _loaded_at from landed
        )
        select 'new' as kind, _source_file, cast(_loaded_at as varchar) as loaded_at from new_loads
        union all
        select 'gone' as kind, _source_file, cast(_loaded_at as varchar) as loaded_at from gone_loads
        union all
        select 'max_event_at' as kind, null as _source_file, cast(max(max_event_at) as varchar) from kept
        union all
        select 'first_future_at' as kind, null as _source_file, cast(min(first_future_at) as varchar) from landed
        order by 1, 2, 3
    {%- endset %}
    {%- set state = {'new': [], 'gone': [], 'max_event_at': none, 'first_future_at': none} -%}
    {%- for row in run_query(files_sql).rows -%}
        {%- if row[0] in ('new', 'gone') -%}
            {%- do state[row[0]].append((row[1], row[2])) -%}
        {%- else -%}
            {%- do state.update({row[0]: row[2]}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(state) -}}
{% endmacro %}


{#- A predicate: the row's (_source_file, _loaded_at) is one of `loads` (false if none). -#}
{% macro _file_loads_predicate(alias, loads) %}
    {%- if loads | length == 0 -%}
        {{- return('1 = 0') -}}
    {%- endif -%}
    {%- set terms = [] -%}
    {%- for f, t in loads -%}
        {%- do terms.append('(' ~ alias ~ "._source_file = '" ~ (f | replace("'", "''")) ~ "' and "
            ~ alias ~ "._loaded_at = cast('" ~ t ~ "' as " ~ api.Column.translate_type('timestamp') ~ '))') -%}
    {%- endfor -%}
    {{- return('(' ~ terms | join(' or ') ~ ')') -}}
{% endmacro %}
