{#-
    segment_max_change_share: between two consecutive builds, at most max_share of the entities
    present in both changed segment (entered or left any segment of the model, after the
    test's `where`). Returns one row with the figures when the share is above max_share.

    The previous build is read from `previous`, the NAME of a snapshot, model or seed (not a
    ref: a ref would make the test wait for the snapshot, which by then already holds this
    build). For segment_membership it is segment_membership_snapshot with
    previous_where "dbt_valid_to is null" (the spells still open = the last build). When the
    previous relation does not exist yet (first build) the test passes.

      data_tests:
        - segment_max_change_share:
            arguments:
              previous: segment_membership_snapshot
              previous_where: "dbt_valid_to is null and segment_type = 'cluster'"
              max_share: 0.2
              entity_column: person_id       # default person_id
              segment_column: segment_name   # default segment_name
              exempt_if: "<sql condition>"   # optional: when it holds, the test returns nothing
            config: {where: "segment_type = 'cluster'", severity: warn}
-#}
{% test segment_max_change_share(model, previous, max_share, previous_where=none, entity_column='person_id', segment_column='segment_name', exempt_if=none) %}
{%- set found = namespace(relation=none) -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.name == previous and node.resource_type in ['snapshot', 'model', 'seed'] -%}
            {%- set found.relation = adapter.get_relation(node.database, node.schema, node.alias or node.name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- if found.relation is none %}
select 1 as no_previous_build where 1 = 0
{%- else %}
with

current_rows as (
    select distinct
        {{ entity_column }} as entity_id,
        cast({{ segment_column }} as {{ dbt.type_string() }}) as segment
    from {{ model }}
),

previous_rows as (
    select distinct
        {{ entity_column }} as entity_id,
        cast({{ segment_column }} as {{ dbt.type_string() }}) as segment
    from {{ found.relation }}
    {% if previous_where %}where {{ previous_where }}{% endif %}
),

in_both as (
    select entity_id from current_rows
    intersect
    select entity_id from previous_rows
),

differences as (
    select
        coalesce(current_rows.entity_id, previous_rows.entity_id) as entity_id
    from current_rows
    full outer join previous_rows
        on current_rows.entity_id = previous_rows.entity_id
        and current_rows.segment = previous_rows.segment
    where current_rows.entity_id is null or previous_rows.entity_id is null
),

changed as (
    select count(distinct differences.entity_id) as n_changed
    from differences
    inner join in_both on differences.entity_id = in_both.entity_id
),

totals as (
    select
        changed.n_changed,
        (select count(*) from in_both) as n_in_both
    from changed
)

select
    n_changed,
    n_in_both,
    n_changed * 1.0 / n_in_both as changed_share,
    {{ max_share }} as max_share
from totals
where n_in_both > 0
  and n_changed * 1.0 / n_in_both > {{ max_share }}
{%- if exempt_if %}
  and not ({{ exempt_if }})
{%- endif %}
{%- endif %}
{% endtest %}
