{#-
    Email engagement of every person reached, per as-of date (int_activity_as_of_dates): an
    event belongs to the person of its customer_id, else of its recipient address. One row per
    person, campaign and kind of event with its first time, so a plain count is the distinct
    count; a campaign counts for a date when the person's first event of that kind for it came
    before the date's cutoff.
-#}
{{ config(materialized='table') }}

with

as_of_dates as (
    select * from {{ ref('int_activity_as_of_dates') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

clean_email_events as (
    select * from {{ ref('int_email_events_deduplicated') }}
),

customer_people as (
    select
        identifier as customer_id,
        person_id
    from identities
    where identifier_type = 'customer_id'
),

email_people as (
    select
        identifier as email,
        person_id
    from identities
    where identifier_type = 'email'
),

email_events as (
    select
        coalesce(by_customer.person_id, by_email.person_id) as person_id,
        coalesce(clean_email_events.campaign_id, clean_email_events.email_event_id) as campaign_key,
        case
            when clean_email_events.event_type in ('sent', 'delivered') then 'received'
            when clean_email_events.event_type = 'open' then 'opened'
            when clean_email_events.event_type = 'click' then 'clicked'
        end as event_kind,
        clean_email_events.event_at
    from clean_email_events
    left join customer_people as by_customer
        on clean_email_events.customer_id = by_customer.customer_id
    left join email_people as by_email
        on clean_email_events.email = by_email.email
    where clean_email_events.event_at < (select max(cutoff_at) from as_of_dates)
),

email_campaigns as (
    select
        person_id,
        campaign_key,
        event_kind,
        min(event_at) as first_event_at
    from email_events
    where person_id is not null
        and event_kind is not null
    group by person_id, campaign_key, event_kind
),

final as (
    select
        as_of_dates.as_of_date,
        email_campaigns.person_id,
        count(case when email_campaigns.event_kind = 'received' then email_campaigns.campaign_key end) as emails_received,
        count(case when email_campaigns.event_kind = 'opened' then email_campaigns.campaign_key end) as emails_opened,
        count(case when email_campaigns.event_kind = 'clicked' then email_campaigns.campaign_key end) as emails_clicked
    from email_campaigns
    inner join as_of_dates
        on email_campaigns.first_event_at < as_of_dates.cutoff_at
    group by as_of_dates.as_of_date, email_campaigns.person_id
)

select * from final
