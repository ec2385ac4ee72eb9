{#-
    Every link int_identity_edges has held, with when it appeared (`added_at`) and when it left
    (`removed_at`, null while it is a link), as written by the builds (written_at()). The state
    of incremental identity stitching: int_identities_stitched recomputes the components of the
    links added or removed since it last wrote its rows.

    Incremental (delete+insert on the link columns): a run writes the links that are in
    int_identity_edges and not current here (added, or added again), and the current links here
    that are not in int_identity_edges any more (removed).
-#}
{%- set links = ['identifier_type_a', 'identifier_a', 'identifier_type_b', 'identifier_b'] -%}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=links,
    on_schema_change='fail',
) }}
{%- set ts_type = api.Column.translate_type('timestamp') %}

with

edges as (
    select {{ links | join(', ') }}
    from {{ ref('int_identity_edges') }}
),

{% if is_incremental() %}
current_links as (
    select {{ links | join(', ') }}, added_at
    from {{ this }}
    where removed_at is null
),

added as (
    select * from edges
    except
    select {{ links | join(', ') }} from current_links
),

removed as (
    select {{ links | join(', ') }} from current_links
    except
    select * from edges
),

final as (
    select
        {{ links | join(', ') }},
        {{ written_at() }} as added_at,
        cast(null as {{ ts_type }}) as removed_at
    from added

    union all

    select
        {% for c in links %}removed.{{ c }}, {% endfor %}
        current_links.added_at,
        {{ written_at() }} as removed_at
    from removed
    inner join current_links
        on {% for c in links %}removed.{{ c }} = current_links.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
)
{% else %}
final as (
    select
        {{ links | join(', ') }},
        {{ written_at() }} as added_at,
        cast(null as {{ ts_type }}) as removed_at
    from edges
)
{% endif %}

select * from final
