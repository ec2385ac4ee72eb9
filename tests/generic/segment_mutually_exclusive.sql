{#-
    segment_mutually_exclusive: within a group of segments, nobody is in two segments at once.
    Returns each entity (and group) found in more than one segment.

      data_tests:
        - segment_mutually_exclusive:
            arguments:
              entity_column: person_id        # default person_id
              segment_column: segment_name    # default segment_name
              group_by: [segment_type]        # the exclusive group(s); [] = the whole model
            config: {where: "segment_type = 'cluster'", severity: error}
-#}
{% test segment_mutually_exclusive(model, entity_column='person_id', segment_column='segment_name', group_by=[]) %}
{%- set keys = [entity_column] + (group_by if group_by is not string else [group_by]) -%}
select
    {{ keys | join(', ') }},
    count(distinct {{ segment_column }}) as n_segments
from {{ model }}
group by {{ keys | join(', ') }}
having count(distinct {{ segment_column }}) > 1
{% endtest %}
