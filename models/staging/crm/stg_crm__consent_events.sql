{#- incremental by landed file (macros/staging/incremental_by_source_file.sql):
    only new or reloaded raw files are typed -#}
{{ config(materialized=incremental_materialization(), pre_hook="{{ delete_unlanded_source_files(source('crm', 'consent_events')) }}") }}

with

source as (
    select * from {{ source('crm', 'consent_events') }}
    where {{ source_files_to_stage(source('crm', 'consent_events')) }}
),

{# source_dated: the rows with _date_order, their file's day/month order of slashed dates #}
{{ file_date_order_ctes('source', ['event_at']) }},

typed as (
    select
        ---------- ids
        {{ clean_text('consent_event_id') }} as consent_event_id,
        {{ clean_text('customer_id') }} as customer_id,

        ---------- strings
        case
            when {{ clean_code('channel') }} in ('email', 'e-mail', 'mail', 'newsletter') then 'email'
            when {{ clean_code('channel') }} in ('sms', 'text', 'phone') then 'sms'
            when {{ clean_code('channel') }} in ('ads', 'advertising', 'paid_media', 'custom_audiences') then 'ads'
            when {{ clean_code('channel') }} in ('all', '*', 'any') then 'all'
        end as channel,
        case
            when {{ clean_code('status') }} in ('granted', 'opt_in', 'opt-in', 'optin', 'yes', 'y', 'true', '1', 'subscribed') then true
            when {{ clean_code('status') }} in ('revoked', 'opt_out', 'opt-out', 'optout', 'no', 'n', 'false', '0', 'unsubscribed', 'withdrawn') then false
        end as is_granted,
        {{ clean_text('source') }} as consent_source,

        ---------- timestamps
        {{ plausible_timestamp(parse_timestamp('event_at', '_date_order')) }} as event_at,
        {{ is_ambiguous_date('event_at', '_date_order') }} as has_ambiguous_date,

        ---------- raw values and lineage
        channel as raw_channel,
        status as raw_status,
        event_at as raw_event_at,
        _source_file,
        _source_row,
        _loaded_at
    from source_dated
),

final as (
    select
        consent_event_id,
        customer_id,
        channel,
        is_granted,
        consent_source,
        event_at,
        case
            when consent_event_id is null or customer_id is null then 'missing_key'
            when has_ambiguous_date then 'ambiguous_date'
            when event_at is null then 'unparseable_date'
            when channel is null then 'invalid_channel'
            when is_granted is null then 'invalid_status'
        end as dq_reason,
        raw_channel,
        raw_status,
        raw_event_at,
        _source_file,
        _source_row,
        _loaded_at
    from typed
)

select * from final
