{#-
    One row per currency of the clean orders, and which one revenue is reported in: the var
    `reporting_currency`, else the dominant currency (the one most clean orders are in; ties
    to the first code in alphabetical order). Revenue is never summed across currencies: an
    order in another currency counts in revenue only through a rate of the seed
    `currency_rates` (from its currency to the reporting one), else it is left out of every
    revenue figure and counted here and in customer_profiles.unconverted_order_count.
-#}
{{ config(materialized='table') }}

with

orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

rates as (
    select
        upper(trim(from_currency)) as from_currency,
        upper(trim(to_currency)) as to_currency,
        cast(rate as {{ type_double() }}) as rate
    from {{ ref('currency_rates') }}
),

by_currency as (
    select
        currency,
        count(*) as order_count,
        sum(case when order_status = 'completed' then order_total else 0 end) as purchase_total
    from orders
    group by currency
),

ranked as (
    select
        *,
        row_number() over (order by order_count desc, currency) as currency_rank,
        {{ divide('order_count', 'sum(order_count) over ()') }} as order_share
    from by_currency
),

{# one row: the reporting currency -#}
reporting as (
    {%- if var('reporting_currency') %}
    select
        upper({{ sql_string(var("reporting_currency")) }}) as reporting_currency,
        'var reporting_currency' as chosen_by
    {%- else %}
    select
        coalesce(
            max(case when currency_rank = 1 then currency end),
            {{ sql_string(var("default_currency")) }}
        ) as reporting_currency,
        'dominant currency of the orders' as chosen_by
    from ranked
    {%- endif %}
),

final as (
    select
        ranked.currency,
        ranked.order_count,
        ranked.order_share,
        ranked.purchase_total,
        ranked.currency_rank = 1 as is_dominant,
        reporting.reporting_currency,
        reporting.chosen_by,
        ranked.currency = reporting.reporting_currency as is_reporting_currency,
        cast(case
            when ranked.currency = reporting.reporting_currency then 1
            else rates.rate
        end as {{ type_double() }}) as rate_to_reporting,
        ranked.currency = reporting.reporting_currency or rates.rate is not null as is_converted
    from ranked
    cross join reporting
    left join rates
        on ranked.currency = rates.from_currency
        and reporting.reporting_currency = rates.to_currency
)

select * from final
