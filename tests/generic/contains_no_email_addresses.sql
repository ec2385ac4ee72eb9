{#-
    contains_no_email_addresses: no text column of the model holds anything that looks like an
    email address (local@domain.tld). For files that must carry hashes only (ad-platform
    audiences). Every text column of the relation is checked, so a column added later is
    covered too.
-#}
{% test contains_no_email_addresses(model) %}
{%- set text_columns = [] -%}
{%- if execute -%}
    {%- for col in adapter.get_columns_in_relation(model) if col.is_string() -%}
        {%- do text_columns.append(col.name) -%}
    {%- endfor -%}
{%- endif %}
select *
from {{ model }}
where 1 = 0
{%- for name in text_columns %}
    or {{ adapter.quote(name) }} like '%_@_%._%'
{%- endfor %}
{% endtest %}
