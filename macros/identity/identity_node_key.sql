{#-
    identity_node_key(type_expr, identifier_expr): the node key of the identity graph, a text
    whose order puts customer_ids first, then emails, then anonymous ids ('1|C001' < '2|a@x.org'),
    so that min-label propagation ends on the smallest customer_id of each component.
-#}
{% macro identity_node_key(type_expr, identifier_expr) %}
    {{ dbt.concat([
        "case " ~ type_expr ~ " when 'customer_id' then '1|' when 'email' then '2|' else '3|' end",
        identifier_expr
    ]) }}
{% endmacro %}
