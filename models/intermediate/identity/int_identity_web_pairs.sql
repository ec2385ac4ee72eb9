{#- Every distinct (anonymous_id, customer_id) pair of the clean web events, with the first day
    it was seen: the web links and identifiers of int_identity_edges. Incremental by date
    (macros/identity/first_seen_pairs.sql): only the pairs with a row on a
    date int_web_sessions_daily recomputed, or first seen on one, are recomputed. -#}
{%- set pair_columns = ['anonymous_id', 'customer_id'] -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ first_seen_pairs_prepare(ref('int_web_sessions_daily'), ['anonymous_id', 'customer_id'], 'event_date', 'first_event_date') }}",
    post_hook="{{ first_seen_pairs_finish(ref('int_web_sessions_daily')) }}",
) }}

with

sessions as (
    select * from {{ ref('int_web_sessions_daily') }}
),

final as (
    select
        anonymous_id,
        customer_id,
        min(event_date) as first_event_date
    from sessions
    where {{ first_seen_pairs_filter(pair_columns, 'sessions') }}
    group by anonymous_id, customer_id
)

select * from final
