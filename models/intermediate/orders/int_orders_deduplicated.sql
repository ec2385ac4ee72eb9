{#-
    Clean orders, one row per order_id. Exact duplicates collapse; when one order_id has
    different versions (reported in dq_duplicates), the latest landed one wins: the last file in
    name order (batch files are named by time), then the last row in it (macro
    latest_version_ctes: only repeated keys are ranked).
    Not filtered by the as-of date: rollups filter with their own cutoff (see
    int_activity_as_of_dates), so one table serves every as-of date.

    No person_id: the
    consumers resolve customer_id to its person with int_identities_stitched
    (identifier_type = 'customer_id') themselves, so this model does not wait for identity
    stitching and runs beside it in the realtime selection.
    Incremental by changed key like int_email_events_deduplicated
    (macros/standardize/latest_version.sql): the moving reasons of int_orders_validated are
    future_timestamp (on ordered_at) and unknown_customer, and keys of customers added to the
    CRM are re-ranked. on_schema_change sync_all_columns: a table built with a person_id column
    loses that column and gains `_loaded_at` on its first incremental run, which
    re-ranks every key (latest_version_prepare finds no `_loaded_at`).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ latest_version_prepare(ref('int_orders_validated'), 'order_id',
        moving_reasons=['future_timestamp', 'unknown_customer'], check_customers=true,
        time_column='ordered_at') }}",
    post_hook="{{ latest_version_finish('order_id') }}",
) }}

with

orders as (
    {{ latest_version_source(ref('int_orders_validated')) }}
),

{{ latest_version_ctes('orders', 'order_id', [
    'order_id', 'customer_id', 'currency', 'order_status', 'channel', 'order_total',
    'discount_amount', 'ordered_at', '_source_file', '_source_row', '_loaded_at'
]) }},

final as (
    select
        order_id,
        customer_id,
        currency,
        order_status,
        channel,
        cast(order_total as {{ type_money() }}) as order_total,
        cast(discount_amount as {{ type_money() }}) as discount_amount,
        ordered_at,
        _source_file,
        _source_row,
        _loaded_at
    from latest_versions
)

select * from final
