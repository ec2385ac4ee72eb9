{#-
    min_row_share: every group of `group_by` holds at least `min_share` of the model's rows
    (a segment-size guard: no empty or tiny segment). `exempt_if`, optional: a SQL condition
    under which the test returns nothing (e.g. a recorded fallback reported by another test).
-#}
{% test min_row_share(model, group_by, min_share, exempt_if=none) %}
with counts as (
    select {{ group_by }} as grp, count(*) as n
    from {{ model }}
    group by {{ group_by }}
),
total as (
    select sum(n) as n_total from counts
)
select counts.grp, counts.n, total.n_total
from counts
cross join total
where counts.n < {{ min_share }} * total.n_total
{%- if exempt_if %}
  and not ({{ exempt_if }})
{%- endif %}
{% endtest %}
