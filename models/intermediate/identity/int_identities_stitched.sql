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

    Incremental (macros/identity/identity_stitching_incremental.sql): after the first
    build only the connected components that a new or dropped link touches are propagated
    again; the other rows stay. The result equals a full rebuild (tests/python/
    test_incremental_identity.py compares them).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ identity_stitching_prepare(ref('int_identity_edges')) }}",
    post_hook="{{ identity_stitching_finish(ref('int_identity_edges')) }}",
) }}
{%- set rounds = var('identity_max_iterations') | int -%}
{%- set partial = identity_stitching_is_partial() -%}
with

edges as (
    select * from {{ ref('int_identity_edges') }}
),

{% if partial %}
{# only the components touched since the last run (written by the pre-hook), matched on the
    identifier columns: no node key is built for the links outside them -#}
affected_nodes as (
    select identifier_type, identifier from {{ identity_stitching_affected_relation() }}
),

{% for side in ['a', 'b'] %}
{#- the links whose {{ side }} end is an affected node -#}
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
{%- set edges_a = 'edges_affected_a' if partial else 'edges' -%}
{%- set edges_b = 'edges_affected_b' if partial else 'edges' %}
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
final as (
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
)

select * from final
