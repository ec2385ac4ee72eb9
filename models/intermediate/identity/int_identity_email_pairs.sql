{#- Every distinct (customer_id, email) pair of the clean email events, with the first time it
    was seen: the email links and identifiers of int_identity_edges. Incremental by date
    (macros/identity/first_seen_pairs.sql): only the pairs with a row on a
    date whose email events changed, or first seen on one, are recomputed. -#}
{%- set pair_columns = ['customer_id', 'email'] -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ first_seen_pairs_prepare(ref('int_email_events_deduplicated'), ['customer_id', 'email'], 'cast(event_at as date)', 'first_event_at') }}",
    post_hook="{{ first_seen_pairs_finish(ref('int_email_events_deduplicated')) }}",
) }}

with

email_events as (
    select * from {{ ref('int_email_events_deduplicated') }}
),

final as (
    select
        customer_id,
        email,
        min(event_at) as first_event_at
    from email_events
    where {{ first_seen_pairs_filter(pair_columns, 'email_events') }}
    group by customer_id, email
)

select * from final
