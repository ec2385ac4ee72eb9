{#-
    Incremental segment_transitions.

    The snapshot segment_membership_snapshot only ever (a) inserts a spell with dbt_valid_from =
    the time of the snapshot run and (b) closes an open spell by setting dbt_valid_to = the time
    of the snapshot run; it never changes a spell otherwise and every run has a later time than
    the runs before it. Every transition is therefore stamped with the time of the snapshot run
    that created it, and once segment_transitions holds all transitions up to its latest
    transition_at (T), the transitions it lacks are exactly the spells opened after T and the
    spells closed after T. An incremental run appends those.

    segment_transitions_state() checks that the table can be trusted before that: it is not
    empty, its earliest transition is the snapshot's first run (a rebuilt snapshot starts at a
    new time), it holds exactly as many rows as the snapshot has transitions up to T and it has the
    as_of_date column (a table built before it was added has not). If not,
    the pre-hook segment_transitions_reset() empties the table inside the model's transaction and
    the run appends every transition, which is a full rebuild.
-#}
{% macro segment_transitions_state(snapshot_relation) %}
    {%- set state = {'incremental': false, 'trusted': false, 'last_at': none, 'has_as_of_date': true} -%}
    {%- if not execute or _is_unit_test() or not is_incremental() -%}
        {{- return(state) -}}
    {%- endif -%}
    {%- set ts_type = api.Column.translate_type('timestamp') -%}
    {%- set state_sql -%}
        with

        transitions as (
            select
                min(transition_at) as first_at,
                max(transition_at) as last_at,
                count(*) as row_count
            from {{ this }}
        ),

        spells as (
            select
                cast(dbt_valid_from as {{ ts_type }}) as valid_from_at,
                cast(dbt_valid_to as {{ ts_type }}) as valid_to_at
            from {{ snapshot_relation }}
        ),

        snapshot_side as (
            select
                min(spells.valid_from_at) as first_at,
                sum(case when spells.valid_from_at <= transitions.last_at then 1 else 0 end)
                    + sum(case when spells.valid_to_at <= transitions.last_at then 1 else 0 end) as row_count
            from spells
            cross join transitions
        )

        select
            transitions.last_at,
            transitions.row_count > 0
                and transitions.first_at = snapshot_side.first_at
                and transitions.row_count = snapshot_side.row_count as is_trusted
        from transitions
        cross join snapshot_side
    {%- endset -%}
    {%- set row = run_query(state_sql).rows[0] -%}
    {#- a table built before transitions carried their as-of date cannot be trusted either -#}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- do state.update({
        'incremental': true,
        'trusted': row[1] == true and 'as_of_date' in columns,
        'last_at': row[0],
        'has_as_of_date': 'as_of_date' in columns,
    }) -%}
    {{- return(state) -}}
{% endmacro %}


{#- Pre-hook: empties segment_transitions when an incremental run cannot trust it (see above).
    One statement, on the model's own table. A table without the as_of_date column is replaced
    by an empty one with it (DuckDB cannot commit a delete and an `alter table` of the same
    table in one transaction). -#}
{% macro segment_transitions_reset(snapshot_relation) %}
    {%- set state = segment_transitions_state(snapshot_relation) -%}
    {%- if not state.incremental or state.trusted -%}
        {{- return('') -}}
    {%- endif -%}
    {{ log('segment_transitions: the table does not match segment_membership_snapshot (rebuilt snapshot, '
        ~ 'partial table or no as_of_date column); rebuilding it from the whole snapshot', info=true) }}
    {%- if state.has_as_of_date %}
    delete from {{ this }}
    {%- else %}
    create or replace table {{ this }} as
    select *, cast(null as date) as as_of_date from {{ this }} where 1 = 0
    {%- endif %}
{% endmacro %}
