{#-
    Segment entries and exits from the membership history (segment_membership_snapshot): one
    `entered` row per membership spell at its dbt_valid_from and one `exited` row when the spell
    was closed (dbt_valid_to). The first snapshot run sees everybody enter: those rows carry
    is_initial_load = true, so "who entered today" can leave the initial load out.
    Each transition carries the as-of date of the build that made it (transition_at is the wall
    clock of that build's snapshot run): an entry, the as-of date stored on its spell; an exit,
    that of a spell the same snapshot run opened, or, for an exit from this build's snapshot run,
    the as-of date of segment_membership (the relation the snapshot reads). Null only for an exit
    from an older run that opened no spell (after rebuilding the table from the whole snapshot),
    or from a run that left segment_membership empty.

    Incremental: a run appends the entries of spells opened and the exits of
    spells closed after the table's latest transition_at, which are exactly the transitions it
    lacks, as the snapshot stamps every change with the time of the run that made it
    (macros/segments/segment_transitions_incremental.sql has the argument). The bound is looked
    up before the statement runs and written in as a literal, so that it filters the snapshot's
    scan. When the table does not match the snapshot (rebuilt snapshot, emptied or partial
    table), the pre-hook empties it and the run appends every transition: a full rebuild.
-#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ segment_transitions_reset(ref('segment_membership_snapshot')) }}",
    tags=['realtime', 'segments'],
) }}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
{%- set state = segment_transitions_state(ref('segment_membership_snapshot')) -%}
{%- set since_at = none -%}
{%- if state.trusted and state.last_at is not none -%}
    {%- set since_at = "cast('" ~ state.last_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as " ~ ts_type ~ ")" -%}
{%- endif -%}
with

spells as (
    select * from {{ ref('segment_membership_snapshot') }}
),

first_load as (
    select min(dbt_valid_from) as first_loaded_at
    from spells
),

{# the as-of date of each snapshot run that opened a spell; the latest run is this build's,
    whose as-of date segment_membership holds -#}
run_as_of as (
    select
        cast(dbt_valid_from as {{ ts_type }}) as run_at,
        max(as_of_date) as as_of_date
    from spells
    group by cast(dbt_valid_from as {{ ts_type }})
),

latest_run as (
    select
        greatest(
            max(cast(dbt_valid_from as {{ ts_type }})),
            coalesce(max(cast(dbt_valid_to as {{ ts_type }})), max(cast(dbt_valid_from as {{ ts_type }})))
        ) as run_at,
        (select max(as_of_date) from {{ ref('segment_membership') }}) as as_of_date
    from spells
),

entered as (
    select
        membership_id,
        person_id,
        segment_type,
        segment_name,
        'entered' as transition,
        cast(dbt_valid_from as {{ ts_type }}) as transition_at,
        reason,
        cast(as_of_date as date) as as_of_date
    from spells
    {%- if since_at %}
    where cast(dbt_valid_from as {{ ts_type }}) > {{ since_at }}
    {%- endif %}
),

exited as (
    select
        membership_id,
        person_id,
        segment_type,
        segment_name,
        'exited' as transition,
        cast(spells.dbt_valid_to as {{ ts_type }}) as transition_at,
        spells.reason,
        cast(coalesce(
            run_as_of.as_of_date,
            case when cast(spells.dbt_valid_to as {{ ts_type }}) = latest_run.run_at then latest_run.as_of_date end
        ) as date) as as_of_date
    from spells
    cross join latest_run
    left join run_as_of
        on cast(spells.dbt_valid_to as {{ ts_type }}) = run_as_of.run_at
    where spells.dbt_valid_to is not null
    {%- if since_at %}
        and cast(spells.dbt_valid_to as {{ ts_type }}) > {{ since_at }}
    {%- endif %}
),

unioned as (
    select * from entered
    union all
    select * from exited
),

final as (
    select
        {{ dbt.hash(dbt.concat(['unioned.membership_id', "'|'", 'unioned.transition', "'|'",
            'cast(unioned.transition_at as ' ~ dbt.type_string() ~ ')'])) }} as transition_id,
        unioned.person_id,
        unioned.segment_type,
        unioned.segment_name,
        unioned.transition,
        unioned.transition_at,
        cast(unioned.transition_at as date) as transition_date,
        unioned.transition = 'entered'
            and unioned.transition_at = cast(first_load.first_loaded_at as {{ ts_type }}) as is_initial_load,
        unioned.reason,
        unioned.as_of_date
    from unioned
    cross join first_load
)

select * from final
