{#- Clean email events, one row per email_event_id; the latest landed version wins.
    Incremental like int_web_events_deduplicated (macros/standardize/latest_version.sql), with
    the known-customer checks: keys of customers removed from or added to the CRM are ranked
    again. -#}
{%- set columns = [
    'email_event_id', 'customer_id', 'campaign_id', 'email', 'event_type', 'event_at',
    '_source_file', '_source_row', '_loaded_at'
] -%}
-- depends_on: {{ ref('stg_crm__customers') }}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='email_event_id',
    on_schema_change='append_new_columns',
    post_hook="{{ delete_removed_versions() }}",
) }}

with

{{ latest_version_candidates(ref('int_email_events_validated'), 'email_event_id', columns,
    watch_customers=true) }},

{{ latest_version_ctes('candidates', 'email_event_id', columns) }},

final as (
    select
        {{ columns | join(',\n        ') }},
        {{ written_at() }} as _written_at
    from latest_versions
    {{ removed_versions('email_event_id', columns) }}
)

select * from final
