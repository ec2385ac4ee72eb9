{#-
    Segment entries and exits from the membership history (segment_membership_snapshot): one
    `entered` row per membership spell at its dbt_valid_from and one `exited` row when the spell
    was closed (dbt_valid_to). The first snapshot run sees everybody enter: those rows carry
    is_initial_load = true, so "who entered today" can leave the initial load out.
-#}
{{ config(tags=['realtime', 'segments']) }}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
with

spells as (
    select * from {{ ref('segment_membership_snapshot') }}
),

first_load as (
    select min(dbt_valid_from) as first_loaded_at
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
        reason
    from spells
),

exited as (
    select
        membership_id,
        person_id,
        segment_type,
        segment_name,
        'exited' as transition,
        cast(dbt_valid_to as {{ ts_type }}) as transition_at,
        reason
    from spells
    where dbt_valid_to is not null
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
        unioned.reason
    from unioned
    cross join first_load
)

select * from final
