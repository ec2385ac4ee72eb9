{#-
    segment_full_coverage: every eligible entity is in at least one segment of the model.
    Returns each eligible entity without a row.

      data_tests:
        - segment_full_coverage:
            arguments:
              eligible: ref('customer_profiles')       # who must be covered
              eligible_where: "order_count >= 1"       # optional filter of the eligible
              entity_column: person_id                 # default person_id (both sides)
              exempt_if: "<sql condition>"             # optional: when it holds, nothing is returned
            config: {where: "segment_type = 'cluster'"}   # which memberships count
-#}
{% test segment_full_coverage(model, eligible, entity_column='person_id', eligible_entity_column=none, eligible_where=none, exempt_if=none) %}
{%- set eligible_key = eligible_entity_column or entity_column -%}
with

eligible as (
    select distinct {{ eligible_key }} as entity_id
    from {{ eligible }}
    {% if eligible_where %}where {{ eligible_where }}{% endif %}
),

covered as (
    select distinct {{ entity_column }} as entity_id
    from {{ model }}
)

select eligible.entity_id
from eligible
left join covered on eligible.entity_id = covered.entity_id
where covered.entity_id is null
{%- if exempt_if %}
  and not ({{ exempt_if }})
{%- endif %}
{% endtest %}
