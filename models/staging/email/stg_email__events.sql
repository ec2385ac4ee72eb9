{#- incremental by landed file (macros/staging/incremental_by_source_file.sql): only
    new or reloaded raw files are typed; staged rows of files gone from raw are deleted first -#}
{{ config(materialized=incremental_materialization(), pre_hook="{{ delete_unlanded_source_files(source('email', 'events')) }}") }}

with

source as (
    select * from {{ source('email', 'events') }}
    where {{ source_files_to_stage(source('email', 'events')) }}
),

{# source_dated: the rows with _date_order, their file's day/month order of slashed dates #}
{{ file_date_order_ctes('source', ['event_at']) }},

{# the event type code and the parsed timestamp are computed once per row here and
    reused below (inlined, the macros were evaluated up to 7 and 3 times per row). -#}
parsed as (
    select
        *,
        {{ clean_code('event_type') }} as event_type_code,
        {{ parse_timestamp('event_at', '_date_order') }} as event_at_parsed,
        {{ is_ambiguous_date('event_at', '_date_order') }} as has_ambiguous_date
    from source_dated
),

typed as (
    select
        ---------- ids
        {{ clean_text('email_event_id') }} as email_event_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('campaign_id') }} as campaign_id,

        ---------- strings
        {{ normalize_email('email') }} as email,
        case
            when event_type_code in ('sent', 'send', 'processed') then 'sent'
            when event_type_code in ('delivered', 'delivery') then 'delivered'
            when event_type_code in ('open', 'opened', 'opens') then 'open'
            when event_type_code in ('click', 'clicked', 'clicks') then 'click'
            when event_type_code in ('bounce', 'bounced', 'hard_bounce', 'soft_bounce') then 'bounce'
            when event_type_code in ('unsubscribe', 'unsubscribed', 'optout', 'opt_out') then 'unsubscribe'
            when event_type_code in ('spam', 'complaint', 'spamreport') then 'complaint'
        end as event_type,

        ---------- timestamps
        {{ plausible_timestamp('event_at_parsed') }} as event_at,

        ---------- raw values and lineage
        email as raw_email_text,
        event_type as raw_event_type_text,
        event_at as raw_event_at_text,
        has_ambiguous_date,
        _source_file,
        _source_row,
        _loaded_at
    from parsed
),

flagged as (
    select
        *,
        case
            when email_event_id is null then 'missing_key'
            when customer_id is null and {{ invalid_email_text('raw_email_text', 'email') }} then 'invalid_email'
            when customer_id is null and email is null then 'missing_identity'
            when event_type is null then 'invalid_event_type'
            when has_ambiguous_date then 'ambiguous_date'
            when event_at is null then 'unparseable_date'
        end as dq_reason
    from typed
),

final as (
    select
        email_event_id,
        customer_id,
        campaign_id,
        email,
        event_type,
        event_at,
        dq_reason,
        {#- the raw text only where it says something the typed value does not -#}
        {{ raw_text_where_informative('raw_email_text', 'email') }} as raw_email,
        {{ raw_text_where_informative('raw_event_type_text', 'event_type') }} as raw_event_type,
        {{ raw_text_where_informative('raw_event_at_text', 'event_at') }} as raw_event_at,
        _source_file,
        _source_row,
        _loaded_at
    from flagged
)

select * from final
