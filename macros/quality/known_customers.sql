{#-
    known_customer_ctes(): the two CTEs behind the `unknown_customer` check of the validated
    models (orders, email events, consent events):
      known_customers  every customer_id of the customers source
      crm_presence     has_customers: whether that source has rows at all (without a CRM file
                       no id can be called unknown)
    Emit it inside a `with`, followed by a comma: {{ known_customer_ctes() }},
-#}
{% macro known_customer_ctes() %}
customers as (
    select * from {{ ref('stg_crm__customers') }}
),

known_customers as (
    select distinct customer_id
    from customers
    where customer_id is not null
),

crm_presence as (
    select count(*) > 0 as has_customers
    from customers
)
{%- endmacro %}
