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
    (macros/standardize/latest_version.sql): the time column of the future_timestamp check is
    ordered_at, and keys of customers removed from or added to the CRM are ranked again.
-#}
{%- set columns = [
    'order_id', 'customer_id', 'currency', 'order_status', 'channel', 'order_total',
    'discount_amount', 'ordered_at', '_source_file', '_source_row', '_loaded_at'
] -%}
-- depends_on: {{ ref('stg_crm__customers') }}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_removed_versions() }}",
) }}

with

{{ latest_version_candidates(ref('int_orders_validated'), 'order_id', columns,
    time_column='ordered_at', watch_customers=true) }},

{{ latest_version_ctes('candidates', 'order_id', columns) }},

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
        _loaded_at,
        {{ written_at() }} as _written_at
    from latest_versions
    {{ removed_versions('order_id', columns) }}
)

select * from final
