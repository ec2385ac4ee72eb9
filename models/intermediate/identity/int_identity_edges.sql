{#-
    The identity graph: which identifiers were seen together on one clean record. Links only
    come from records known by the as-of date (so no later login re-attributes history);
    identifiers themselves are listed whatever their date. Identifier types: customer_id (CRM
    key), email (normalized), anonymous_id (device/cookie id). Links come from
      crm.customers     customer_id - email of the current record
      web.events        anonymous_id - customer_id of logged-in events (browsing before login
                        then belongs to the customer)
      email.events      customer_id - recipient email
      survey.responses  customer_id - respondent email
    and every identifier seen anywhere (orders and consent included) is also listed as a
    self-link (identifier_a = identifier_b), so lone identifiers become a person of their own.

    Shared identifiers: an email or anonymous_id linked to more than
    var `identity_max_customers_per_identifier` distinct customer_ids (a family device, a
    generic mailbox) links nothing: it keeps only its self-link, so it cannot merge strangers.
-#}
with

customers as (
    select * from {{ ref('int_customers_deduplicated') }}
),

orders as (
    select * from {{ ref('int_orders_validated') }}
    where dq_reason is null
),

{#- issue 7: web events rolled up per device, customer id, session and day (several times fewer
    rows); the as-of bound is the end of a day, so event_date < it is event_at < it -#}
web_events as (
    select * from {{ ref('int_web_sessions_daily') }}
),

email_events as (
    select * from {{ ref('int_email_events_deduplicated') }}
),

survey_responses as (
    select * from {{ ref('int_survey_responses_deduplicated') }}
),

consent_events as (
    select * from {{ ref('int_consent_events_deduplicated') }}
),

links as (
    select distinct
        'customer_id' as identifier_type_a,
        customer_id as identifier_a,
        'email' as identifier_type_b,
        email as identifier_b,
        'crm.customers' as edge_source
    from customers
    where email is not null

    union all

    select distinct
        'anonymous_id' as identifier_type_a,
        anonymous_id as identifier_a,
        'customer_id' as identifier_type_b,
        customer_id as identifier_b,
        'web.events' as edge_source
    from web_events
    where anonymous_id is not null and customer_id is not null
        and event_date < {{ as_of_timestamp() }}

    union all

    select distinct
        'customer_id' as identifier_type_a,
        customer_id as identifier_a,
        'email' as identifier_type_b,
        email as identifier_b,
        'email.events' as edge_source
    from email_events
    where customer_id is not null and email is not null
        and event_at < {{ as_of_timestamp() }}

    union all

    select distinct
        'customer_id' as identifier_type_a,
        customer_id as identifier_a,
        'email' as identifier_type_b,
        email as identifier_b,
        'survey.responses' as edge_source
    from survey_responses
    where customer_id is not null and email is not null
        and submitted_at < {{ as_of_timestamp() }}
),

identifiers as (
    select customer_id as identifier, 'customer_id' as identifier_type, 'crm.customers' as edge_source from customers
    union all
    select customer_id, 'customer_id', 'shop.orders' from orders
    union all
    select customer_id, 'customer_id', 'crm.consent_events' from consent_events where customer_id is not null
    union all
    select customer_id, 'customer_id', 'web.events' from web_events where customer_id is not null
    union all
    select anonymous_id, 'anonymous_id', 'web.events' from web_events where anonymous_id is not null
    union all
    select customer_id, 'customer_id', 'email.events' from email_events where customer_id is not null
    union all
    select email, 'email', 'email.events' from email_events where email is not null
    union all
    select customer_id, 'customer_id', 'survey.responses' from survey_responses where customer_id is not null
    union all
    select email, 'email', 'survey.responses' from survey_responses where email is not null
),

self_links as (
    select
        identifier_type as identifier_type_a,
        identifier as identifier_a,
        identifier_type as identifier_type_b,
        identifier as identifier_b,
        min(edge_source) as edge_source
    from identifiers
    group by identifier_type, identifier
),

{#- customer_ids each non-customer identifier is linked to -#}
identifier_customers as (
    select identifier_type_a as identifier_type, identifier_a as identifier, identifier_b as customer_id
    from links
    where identifier_type_b = 'customer_id'
    union
    select identifier_type_b, identifier_b, identifier_a
    from links
    where identifier_type_a = 'customer_id'
),

shared_identifiers as (
    select
        identifier_type,
        identifier
    from identifier_customers
    group by identifier_type, identifier
    having count(distinct customer_id) > {{ var('identity_max_customers_per_identifier') }}
),

kept_links as (
    select links.*
    from links
    left join shared_identifiers as shared_a
        on links.identifier_type_a = shared_a.identifier_type
        and links.identifier_a = shared_a.identifier
    left join shared_identifiers as shared_b
        on links.identifier_type_b = shared_b.identifier_type
        and links.identifier_b = shared_b.identifier
    where shared_a.identifier is null
        and shared_b.identifier is null
),

final as (
    select
        identifier_type_a,
        identifier_a,
        identifier_type_b,
        identifier_b,
        min(edge_source) as edge_source
    from kept_links
    group by identifier_type_a, identifier_a, identifier_type_b, identifier_b

    union all

    select
        identifier_type_a,
        identifier_a,
        identifier_type_b,
        identifier_b,
        edge_source
    from self_links
)

select * from final
