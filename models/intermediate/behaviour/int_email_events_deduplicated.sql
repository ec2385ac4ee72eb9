{#- Clean email events, one row per email_event_id; the latest landed version wins
    (macro latest_version_ctes: only repeated keys are ranked).
    Incremental like int_web_events_deduplicated (macros/standardize/latest_version.sql), with
    the known-customer checks: keys of customers removed from or added to the CRM are re-ranked.
    The dates of the rows it deletes and writes are logged for int_identity_email_pairs
    (macros/identity/first_seen_pairs.sql). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ latest_version_prepare(ref('int_email_events_validated'), 'email_event_id',
        moving_reasons=['future_timestamp', 'unknown_customer'], check_customers=true, log_dates=true) }}",
    post_hook="{{ latest_version_finish('email_event_id', log_dates=true) }}",
) }}

with

email_events as (
    {{ latest_version_source(ref('int_email_events_validated')) }}
),

{{ latest_version_ctes('email_events', 'email_event_id', [
    'email_event_id', 'customer_id', 'campaign_id', 'email', 'event_type', 'event_at',
    '_source_file', '_source_row', '_loaded_at'
]) }},

final as (
    select
        email_event_id,
        customer_id,
        campaign_id,
        email,
        event_type,
        event_at,
        _source_file,
        _source_row,
        _loaded_at
    from latest_versions
)

select * from final
