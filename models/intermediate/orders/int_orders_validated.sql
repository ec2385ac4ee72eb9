{#-
    Every staged order with its final dq_reason: staging's own reason, else the contextual checks
    that need other sources or the as-of date:
      future_timestamp  ordered_at later than the build's clock + future_tolerance_days
                        (rows after the as-of date but not after the clock stay clean)
      unknown_customer  customer_id absent from the customers source (only when it has rows)
    Rows with a null dq_reason are clean; the others go to dq_quarantine.
-#}
{#- `_loaded_at` lets int_orders_deduplicated find new, reloaded and removed files.
    A view, like int_email_events_validated (the same known-customer join): a table would be
    rebuilt over all orders on every realtime run, while its readers in that run (the deduplication's filtered reads, the identity edges) pay the join
    only on the rows they read. -#}
{{ config(materialized='view') }}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

{{ known_customer_ctes() }},

checked as (
    select
        orders.*,
        case
            when orders.dq_reason is not null then orders.dq_reason
            when orders.ordered_at >= {{ future_cutoff() }} then 'future_timestamp'
            when crm_presence.has_customers and known_customers.customer_id is null then 'unknown_customer'
        end as final_dq_reason
    from orders
    cross join crm_presence
    left join known_customers
        on orders.customer_id = known_customers.customer_id
),

final as (
    select
        order_id,
        customer_id,
        currency,
        order_status,
        channel,
        order_total,
        discount_amount,
        ordered_at,
        final_dq_reason as dq_reason,
        _source_file,
        _source_row,
        _loaded_at
    from checked
)

select * from final
