{#- incremental by landed file (macros/staging/incremental_by_source_file.sql): only
    new or reloaded raw files are typed; staged rows of files gone from raw are deleted first -#}
{{ config(materialized=incremental_materialization(), pre_hook="{{ delete_unlanded_source_files(source('web', 'events')) }}") }}

with

source as (
    select * from {{ source('web', 'events') }}
    where {{ source_files_to_stage(source('web', 'events')) }}
),

{# source_dated: the rows with _date_order, their file's day/month order of slashed dates #}
{{ file_date_order_ctes('source', ['event_at']) }},

{# the event type code and the parsed timestamp are computed once per row here and
    reused below (inlined, the macros were evaluated up to 8 and 3 times per row). -#}
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
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('session_id') }} as session_id,
        {{ clean_text('product_id') }} as product_id,

        ---------- strings
        case
            when event_type_code in ('page_view', 'pageview', 'page') then 'page_view'
            when event_type_code in ('product_view', 'view_item', 'product_viewed') then 'product_view'
            when event_type_code in ('add_to_cart', 'addtocart', 'add_cart', 'cart_add') then 'add_to_cart'
            when event_type_code in ('checkout', 'begin_checkout', 'checkout_started') then 'checkout'
            when event_type_code in ('purchase', 'order_completed', 'transaction') then 'purchase'
            when event_type_code in ('login', 'sign_in', 'signin', 'identify') then 'login'
            when event_type_code in ('search', 'site_search') then 'search'
            when event_type_code is not null then 'other'
        end as event_type,
        coalesce({{ clean_code('platform') }}, 'web') as platform,
        {{ clean_text('page_url') }} as page_url,
        {{ clean_code('category') }} as category,

        ---------- timestamps
        {{ plausible_timestamp('event_at_parsed') }} as event_at,

        ---------- raw values and lineage
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
            when event_id is null then 'missing_key'
            when anonymous_id is null and customer_id is null then 'missing_identity'
            when event_type is null then 'missing_event_type'
            when has_ambiguous_date then 'ambiguous_date'
            when event_at is null then 'unparseable_date'
        end as dq_reason
    from typed
),

final as (
    select
        event_id,
        anonymous_id,
        customer_id,
        session_id,
        product_id,
        event_type,
        platform,
        page_url,
        category,
        event_at,
        dq_reason,
        {#- the raw text only where it says something the typed value does not -#}
        {{ raw_text_where_informative('raw_event_type_text', 'event_type') }} as raw_event_type,
        {{ raw_text_where_informative('raw_event_at_text', 'event_at') }} as raw_event_at,
        _source_file,
        _source_row,
        _loaded_at
    from flagged
)

select * from final
