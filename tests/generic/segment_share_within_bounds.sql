{#-
    segment_share_within_bounds: each segment holds between min_share and max_share of the
    entities of the model (after the test's `where`). Returns each segment outside the bounds.
    A segment listed in `segments` but empty counts as share 0.

      data_tests:
        - segment_share_within_bounds:
            arguments:
              segment_column: segment_name   # default segment_name
              entity_column: person_id       # default person_id
              min_share: 0.01                # default 0
              max_share: 0.6                 # default 1
              segments: [vip, win_back]      # optional: only these (and they must exist)
              exempt_if: "<sql condition>"   # optional: when it holds, the test returns nothing
            config: {where: "segment_type = 'cluster'", severity: warn}
-#}
{% test segment_share_within_bounds(model, segment_column='segment_name', entity_column='person_id', min_share=0, max_share=1, segments=none, exempt_if=none) %}
with

members as (
    select
        {{ segment_column }} as segment,
        count(distinct {{ entity_column }}) as n_entities
    from {{ model }}
    group by {{ segment_column }}
),

total as (
    select count(distinct {{ entity_column }}) as n_total
    from {{ model }}
),

{% if segments %}
expected as (
    {% for segment in segments %}
    select '{{ segment }}' as segment
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

counted as (
    select
        expected.segment,
        coalesce(members.n_entities, 0) as n_entities
    from expected
    left join members on cast(members.segment as {{ dbt.type_string() }}) = expected.segment
),
{% else %}
counted as (
    select * from members
),
{% endif %}

shares as (
    select
        counted.segment,
        counted.n_entities,
        total.n_total,
        counted.n_entities * 1.0 / nullif(total.n_total, 0) as share
    from counted
    cross join total
)

select *
from shares
where (coalesce(share, 0) < {{ min_share }}
   or coalesce(share, 0) > {{ max_share }})
{%- if exempt_if %}
  and not ({{ exempt_if }})
{%- endif %}
{% endtest %}
