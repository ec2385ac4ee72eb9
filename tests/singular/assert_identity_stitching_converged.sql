{#-
    Identity stitching converged: after the last round of label propagation no link of the
    identity graph joins two different persons, and every identifier got a person. Rows returned
    are links that still cross persons (raise var identity_max_iterations) or identifiers
    missing from int_identities_stitched.
-#}
with

edges as (
    select * from {{ ref('int_identity_edges') }}
),

stitched as (
    select * from {{ ref('int_identities_stitched') }}
),

checked as (
    select
        edges.identifier_type_a,
        edges.identifier_a,
        edges.identifier_type_b,
        edges.identifier_b,
        person_a.person_id as person_id_a,
        person_b.person_id as person_id_b
    from edges
    left join stitched as person_a
        on edges.identifier_type_a = person_a.identifier_type
        and edges.identifier_a = person_a.identifier
    left join stitched as person_b
        on edges.identifier_type_b = person_b.identifier_type
        and edges.identifier_b = person_b.identifier
)

select *
from checked
where person_id_a is null
    or person_id_b is null
    or person_id_a != person_id_b
