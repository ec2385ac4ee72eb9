{#-
    Incremental identity stitching (docs/architecture.md, "Incremental models").

    int_identities_stitched is a table built by label propagation over the whole identity graph.
    Its result for one connected component depends only on that component's links and on var
    `identity_max_iterations`. So, after the first build, a run only has to redo the components a
    changed link touches:

      snapshot   `<model>__edges`: the links (identifier_type_a, identifier_a,
                 identifier_type_b, identifier_b, self-links included) the table was last
                 computed from, with the number of rounds; written by the post-hook
                 identity_stitching_finish();
      changed    links in the current int_identity_edges and not in the snapshot, or the
                 reverse (new identifiers and links, links dropped because an identifier became
                 shared or a record left the as-of window);
      (`<model>__changed_links`: kept until the post-hook applies them to the
                 snapshot)
      affected   `<model>__affected`: the end nodes of changed links, plus every node whose
                 stored person is the person of one of those nodes (its whole old component),
                 as (identifier_type, identifier).
    The links are compared on their identifier columns; only the changed links and the affected
    nodes get the string node keys of identity_node_key(), so a run does not build a key for
    every stored link (tens of millions of strings at 1M customers). A snapshot without the
    identifier columns is not usable: that run recomputes every component, as without one.

    The pre-hook identity_stitching_prepare() writes `<model>__affected` and deletes the
    affected rows; the model body propagates labels over the links whose first node is affected
    and appends the result. Every current link with one affected end has its other end
    affected too (an unchanged link joined two nodes of one old person; a changed link has both
    ends listed), so the affected nodes form whole components of the current graph and
    propagation there equals propagation over the whole graph; untouched components keep their
    rows, which a full rebuild would compute again unchanged. This relies on the stored persons
    being components, which the singular test assert_identity_stitching_converged checks after
    every build. Without a snapshot, or when the snapshot was built with another number of
    rounds, the run recomputes every component (same as --full-refresh).
-#}

{% macro identity_stitching_snapshot_relation() %}
    {{- return(api.Relation.create(database=this.database, schema=this.schema,
                                   identifier=this.identifier ~ '__edges')) -}}
{% endmacro %}


{#- the links that changed since the snapshot, with is_current: true for links in the current
    edges (added), false for links only in the snapshot (removed) -#}
{% macro identity_stitching_changed_links_relation() %}
    {{- return(api.Relation.create(database=this.database, schema=this.schema,
                                   identifier=this.identifier ~ '__changed_links')) -}}
{% endmacro %}


{% macro identity_stitching_affected_relation() %}
    {{- return(api.Relation.create(database=this.database, schema=this.schema,
                                   identifier=this.identifier ~ '__affected')) -}}
{% endmacro %}


{#- true when this run may recompute only the affected components -#}
{% macro identity_stitching_is_partial() %}
    {%- if _is_unit_test() or not execute or not is_incremental() -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set snapshot = identity_stitching_snapshot_relation() -%}
    {%- if adapter.get_relation(database=snapshot.database, schema=snapshot.schema,
                                identifier=snapshot.identifier) is none -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set snapshot_columns = adapter.get_columns_in_relation(snapshot) | map(attribute='name') | map('lower') | list -%}
    {%- if 'identifier_a' not in snapshot_columns -%}
        {#- a snapshot of keyed links, without the identifier columns -#}
        {{- return(false) -}}
    {%- endif -%}
    {%- set rounds = run_query('select max(rounds) from ' ~ snapshot).columns[0].values()[0] -%}
    {{- return(rounds is not none and (rounds | int) == (var('identity_max_iterations') | int)) -}}
{% endmacro %}


{#- the link columns of an int_identity_edges relation (unique per row: its unique test) -#}
{% macro identity_link_columns() %}
    {{- return(['identifier_type_a', 'identifier_a', 'identifier_type_b', 'identifier_b']) -}}
{% endmacro %}


{#- Pre-hook: on a partial run, write the affected nodes and delete their rows; on any other
    incremental run, delete every row (the body recomputes them all). -#}
{% macro identity_stitching_prepare(edges_relation) %}
    {%- if _is_unit_test() or not execute or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- if not identity_stitching_is_partial() -%}
        {% do log(this.identifier ~ ': no usable snapshot of the links, every component is recomputed', info=true) %}
        {{- return('delete from ' ~ this) -}}
    {%- endif -%}
    {%- set affected = identity_stitching_affected_relation() -%}
    {%- set changed_links = identity_stitching_changed_links_relation() -%}
    {%- set links = identity_link_columns() | join(', ') %}
    create or replace table {{ changed_links }} as
    select {{ links }}, true as is_current
    from (
        select {{ links }} from {{ edges_relation }}
        except
        select {{ links }} from {{ identity_stitching_snapshot_relation() }}
    ) as added
    union all
    select {{ links }}, false as is_current
    from (
        select {{ links }} from {{ identity_stitching_snapshot_relation() }}
        except
        select {{ links }} from {{ edges_relation }}
    ) as removed;

    create or replace table {{ affected }} as
    with

    changed_links as (
        select {{ links }} from {{ changed_links }}
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

    affected_nodes as (
        select identifier_type, identifier from touched_nodes
        union
        select stored.identifier_type, stored.identifier
        from {{ this }} as stored
        inner join touched_persons
            on stored.person_id = touched_persons.person_id
    )

    select
        identifier_type,
        identifier,
        {{ identity_node_key('identifier_type', 'identifier') }} as node
    from affected_nodes;

    delete from {{ this }} as stored
    where exists (
        select 1
        from {{ affected }} as affected
        where affected.identifier_type = stored.identifier_type
            and affected.identifier = stored.identifier
    )
{% endmacro %}


{#- Post-hook: keep the links this table now reflects, drop the scratch tables. A partial run
    applies the changed links to the snapshot, which is cheaper than rewriting it whole at 1M
    customers; any other run writes it whole. Same rows either way: snapshot - removed + added = the current links. -#}
{% macro identity_stitching_finish(edges_relation) %}
    {%- if _is_unit_test() or not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set snapshot = identity_stitching_snapshot_relation() -%}
    {%- set changed_links = identity_stitching_changed_links_relation() -%}
    {%- set rounds_value = 'cast(' ~ (var('identity_max_iterations') | int) ~ ' as ' ~ dbt.type_int() ~ ')' -%}
    {%- if identity_stitching_is_partial() -%}
        {%- set counts = run_query(
            'select (select count(*) from ' ~ identity_stitching_affected_relation() ~ '), '
            ~ '(select count(*) from ' ~ this ~ ')').rows[0] -%}
        {% do log(this.identifier ~ ': ' ~ counts[0] ~ ' of ' ~ counts[1]
                  ~ ' identifiers in touched components recomputed', info=true) %}
        {#- an appended day usually only adds links: the delete, a scan of the whole snapshot,
            is skipped when nothing was removed -#}
        {%- set removed = run_query('select count(*) from ' ~ changed_links ~ ' where not is_current').columns[0].values()[0] -%}
    {%- if removed > 0 %}
    delete from {{ snapshot }} as kept
    where exists (
        select 1
        from {{ changed_links }} as removed
        where not removed.is_current
            {%- for column in identity_link_columns() %}
            and removed.{{ column }} is not distinct from kept.{{ column }}
            {%- endfor %}
    );
    {%- endif %}

    insert into {{ snapshot }}
    select {{ identity_link_columns() | join(', ') }}, {{ rounds_value }} as rounds
    from {{ changed_links }}
    where is_current;
    {%- else %}
    create or replace table {{ snapshot }} as
    select
        {{ identity_link_columns() | join(', ') }},
        {{ rounds_value }} as rounds
    from {{ edges_relation }};
    {%- endif %}

    drop table if exists {{ changed_links }};
    drop table if exists {{ identity_stitching_affected_relation() }}
{% endmacro %}
