{#-
    Identity resolution: every identifier (customer_id, email, anonymous_id) of the identity
    graph mapped to a person, one person per connected component of int_identity_edges.

    Components are found by min-label propagation, unrolled with Jinja into
    var `identity_max_iterations` rounds of portable SQL: every node starts with its own label
    and, each round, takes the smallest label among itself and its neighbours. Labels order
    customer_ids first, then emails, then anonymous ids, so a component's final label is its
    smallest customer_id when it has one. The singular test
    assert_identity_stitching_converged fails when any link still joins two persons after the
    last round (raise the var then).

    person_id is deterministic: 'p_' || smallest customer_id of the component; for components
    without any customer_id (anonymous visitors, email-only contacts) 'p_' || md5 of the
    smallest label, which keeps emails out of the key.

    Incremental (delete+insert on identifier_type, identifier): the result for one connected
    component depends only on its links, so a run recomputes only the components that a link
    added or removed since this table was last written touches (int_identity_edge_history,
    `added_at` or `removed_at` later than this table's `_written_at`): the ends of those links,
    plus every identifier of their stored persons (the whole old component). Every current link
    with one affected end has its other end affected too (an unchanged link joined two
    identifiers of one old person; a changed link has both ends listed), so the affected
    identifiers form whole components of the current graph and propagation over their links
    equals propagation over the whole graph; the other rows stay as a full rebuild would compute
    them. An affected identifier no longer in the graph is written with a null person_id and
    deleted by the post-hook. This relies on the stored persons being components, which the
    singular test assert_identity_stitching_converged checks after every build. A table built
    with another var `identity_max_iterations` (column propagation_rounds) is recomputed whole.
    The result equals a full rebuild (tests/python/test_incremental_identity.py compares them).
-#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['identifier_type', 'identifier'],
    on_schema_change='append_new_columns',
    post_hook="{% if is_incremental() %}delete from {{ this }} where person_id is null{% endif %}",
) }}
-- depends_on: {{ ref('int_identity_edge_history') }}
{%- set rounds = var('identity_max_iterations') | int -%}
{%- set ts_type = api.Column.translate_type('timestamp') -%}
{%- set recompute_all = false -%}
{%- if is_incremental() and execute -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- set recompute_all = 'propagation_rounds' not in stored_columns or run_query(
        'select count(*) from ' ~ this ~ ' where propagation_rounds is null or propagation_rounds <> '
        ~ rounds).columns[0].values()[0] > 0 -%}
    {%- if recompute_all -%}
        {%- do log(this.identifier ~ ': built with another identity_max_iterations, every component is recomputed', info=true) -%}
    {%- endif -%}
{%- endif %}
with

edges as (
    select * from {{ ref('int_identity_edges') }}
),

{% if is_incremental() %}
{#- the links added or removed since this table was last written (every link when it was
    built with another number of rounds) -#}
changed_links as (
    select history.*
    from {{ ref('int_identity_edge_history') }} as history
    {%- if not recompute_all %}
    where coalesce(history.removed_at, history.added_at) > (
        select coalesce(max(_written_at), cast('1900-01-01' as {{ ts_type }})) from {{ this }}
    )
    {%- endif %}
),

touched_nodes as (
    select identifier_type_a as identifier_type, identifier_a as identifier from changed_links
    union
    select identifier_type_b, identifier_b from changed_links
),

touched_persons as (
    select distinct stored.person_id
    from {{ this }} as stored
    inner join touched_nodes
        on stored.identifier_type = touched_nodes.identifier_type
        and stored.identifier = touched_nodes.identifier
),

affected_nodes as {{ cte_hint(materialized=true) }}(
    select identifier_type, identifier from touched_nodes
    union
    select stored.identifier_type, stored.identifier
    from {{ this }} as stored
    inner join touched_persons
        on stored.person_id = touched_persons.person_id
),

{% for side in ['a', 'b'] %}
{#- the links whose {{ side }} end is an affected identifier -#}
edges_affected_{{ side }} as (
    select edges.*
    from edges
    where exists (
        select 1 from affected_nodes
        where affected_nodes.identifier_type = edges.identifier_type_{{ side }}
            and affected_nodes.identifier = edges.identifier_{{ side }}
    )
),

{% endfor %}
{% endif %}
{%- set edges_a = 'edges_affected_a' if is_incremental() else 'edges' -%}
{%- set edges_b = 'edges_affected_b' if is_incremental() else 'edges' %}
keyed_edges as (
    select
        {{ identity_node_key('identifier_type_a', 'identifier_a') }} as node_a,
        {{ identity_node_key('identifier_type_b', 'identifier_b') }} as node_b
    from {{ edges_a }}
),

nodes as (
    select distinct
        identifier_type_a as identifier_type,
        identifier_a as identifier,
        {{ identity_node_key('identifier_type_a', 'identifier_a') }} as node
    from {{ edges_a }}
    union
    select distinct
        identifier_type_b as identifier_type,
        identifier_b as identifier,
        {{ identity_node_key('identifier_type_b', 'identifier_b') }} as node
    from {{ edges_b }}
),

{# both directions plus a self-loop per node, so one join per round keeps a node's own label -#}
directed as (
    select node_a as node_from, node_b as node_to from keyed_edges
    union
    select node_b as node_from, node_a as node_to from keyed_edges
    union
    select node as node_from, node as node_to from nodes
),

labels_0 as (
    select
        node,
        node as label
    from nodes
),

{% for i in range(1, rounds + 1) %}
labels_{{ i }} as (
    select
        directed.node_to as node,
        min(labels_{{ i - 1 }}.label) as label
    from directed
    inner join labels_{{ i - 1 }}
        on directed.node_from = labels_{{ i - 1 }}.node
    group by directed.node_to
),

{% endfor %}
stitched as (
    select
        nodes.identifier_type,
        nodes.identifier,
        case
            when {{ dbt.position("'1|'", 'labels.label') }} = 1
                then {{ dbt.concat(["'p_'", dbt.right('labels.label', dbt.length('labels.label') ~ ' - 2')]) }}
            else {{ dbt.concat(["'p_'", dbt.hash('labels.label')]) }}
        end as person_id
    from nodes
    inner join labels_{{ rounds }} as labels
        on nodes.node = labels.node
),

final as (
    select
        identifier_type,
        identifier,
        person_id,
        cast({{ rounds }} as {{ dbt.type_int() }}) as propagation_rounds,
        {{ written_at() }} as _written_at
    from stitched
    {%- if is_incremental() %}

    union all

    -- affected identifiers no longer in the graph: placeholders, deleted by the post-hook
    select
        affected_nodes.identifier_type,
        affected_nodes.identifier,
        null,
        cast({{ rounds }} as {{ dbt.type_int() }}),
        {{ written_at() }}
    from affected_nodes
    where not exists (
        select 1 from stitched
        where stitched.identifier_type = affected_nodes.identifier_type
            and stitched.identifier = affected_nodes.identifier
    )
    {%- endif %}
)

select * from final
