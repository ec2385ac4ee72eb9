with

source as (
    select * from {{ source('email', 'events') }}
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
            when {{ clean_code('event_type') }} in ('sent', 'send', 'processed') then 'sent'
            when {{ clean_code('event_type') }} in ('delivered', 'delivery') then 'delivered'
            when {{ clean_code('event_type') }} in ('open', 'opened', 'opens') then 'open'
            when {{ clean_code('event_type') }} in ('click', 'clicked', 'clicks') then 'click'
            when {{ clean_code('event_type') }} in ('bounce', 'bounced', 'hard_bounce', 'soft_bounce') then 'bounce'
            when {{ clean_code('event_type') }} in ('unsubscribe', 'unsubscribed', 'optout', 'opt_out') then 'unsubscribe'
            when {{ clean_code('event_type') }} in ('spam', 'complaint', 'spamreport') then 'complaint'
        end as event_type,

        ---------- timestamps
        {{ plausible_timestamp(parse_timestamp('event_at')) }} as event_at,

        ---------- raw values and lineage
        email as raw_email,
        event_type as raw_event_type,
        event_at as raw_event_at,
        _source_file,
        _source_row
    from source
),

final as (
    select
        email_event_id,
        customer_id,
        campaign_id,
        email,
        event_type,
        event_at,
        case
            when email_event_id is null then 'missing_key'
            when customer_id is null and email is null then 'missing_identity'
            when event_type is null then 'invalid_event_type'
            when event_at is null then 'unparseable_date'
        end as dq_reason,
        raw_email,
        raw_event_type,
        raw_event_at,
        _source_file,
        _source_row
    from typed
)

select * from final
