{#-
    Marketing consent per person and channel now, as of the build's clock, whatever the as-of
    date: exports go out today, so a revocation dated after the as-of date (a backtest, a CRM
    export fresher than the orders) still withholds the person. Every clean consent event counts
    (events later than the clock plus tolerance are quarantined as future_timestamp upstream).
    For each channel (email, sms, ads) the latest clean consent event of any of the person's
    customer_ids decides, where
    an event on channel 'all' applies to every channel. Ties on event_at go to the revocation
    (the safe side), then to the larger consent_event_id. A person without any event for a
    channel gets var `consent_default`.
-#}
with

consent_events as (
    select * from {{ ref('int_consent_events_deduplicated') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
    where identifier_type = 'customer_id'
),

channels as (
    select 'email' as channel
    union all
    select 'sms' as channel
    union all
    select 'ads' as channel
),

person_events as (
    select
        identities.person_id,
        channels.channel,
        consent_events.is_granted,
        consent_events.event_at,
        consent_events.consent_event_id
    from consent_events
    inner join identities
        on consent_events.customer_id = identities.identifier
    inner join channels
        on consent_events.channel = channels.channel
        or consent_events.channel = 'all'
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_id, channel
            order by
                event_at desc,
                case when is_granted then 1 else 0 end,
                consent_event_id desc
        ) as event_rank
    from person_events
),

latest as (
    select
        person_id,
        channel,
        event_at,
        case when is_granted then 1 else 0 end as granted_flag
    from ranked
    where event_rank = 1
),

final as (
    select
        person_id,
        max(case when channel = 'email' then granted_flag end) = 1 as email_consent,
        max(case when channel = 'sms' then granted_flag end) = 1 as sms_consent,
        max(case when channel = 'ads' then granted_flag end) = 1 as ads_consent,
        max(case when channel = 'email' then event_at end) as email_consent_changed_at
    from latest
    group by person_id
)

select * from final
