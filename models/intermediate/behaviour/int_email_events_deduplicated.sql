{#- Clean email events, one row per email_event_id; the latest landed version wins
    (macro latest_version_ctes: only repeated keys are ranked, issue 7). -#}
{{ config(materialized='table') }}

with

email_events as (
    select * from {{ ref('int_email_events_validated') }}
    where dq_reason is null
),

{{ latest_version_ctes('email_events', 'email_event_id', [
    'email_event_id', 'customer_id', 'campaign_id', 'email', 'event_type', 'event_at',
    '_source_file', '_source_row'
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
        _source_row
    from latest_versions
)

select * from final
