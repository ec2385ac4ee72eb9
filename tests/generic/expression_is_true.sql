{#- expression_is_true: rows where the boolean SQL expression is false fail the test. -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
