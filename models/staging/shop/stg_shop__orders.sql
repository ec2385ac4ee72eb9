{#- incremental by landed file (macros/staging/incremental_by_source_file.sql, issue 7): only
    new or reloaded raw files are typed; staged rows of files gone from raw are deleted first -#}
{{ config(pre_hook="{{ delete_unlanded_source_files(source('shop', 'orders')) }}") }}

with

source as (
    select * from {{ source('shop', 'orders') }}
    where {{ source_files_to_stage(source('shop', 'orders')) }}
),

{# source_dated: the rows with _date_order, their file's day/month order of slashed dates #}
{{ file_date_order_ctes('source', ['ordered_at']) }},

{#- issue 7: the status code computed once per row (inlined it was evaluated up to 4 times) -#}
parsed as (
    select
        *,
        {{ clean_code('status') }} as status_code
    from source_dated
),

typed as (
    select
        ---------- ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,

        ---------- strings
        coalesce(upper({{ clean_text('currency') }}), '{{ var("default_currency") }}') as currency,
        case
            when status_code is null then 'completed'
            when status_code in ('completed', 'complete', 'paid', 'shipped', 'delivered') then 'completed'
            when status_code in ('cancelled', 'canceled', 'void') then 'cancelled'
            when status_code in ('returned', 'refunded') then 'returned'
            else 'other'
        end as order_status,
        {{ clean_code('channel') }} as channel,

        ---------- numerics
        {{ parse_amount('order_total') }} as order_total,
        coalesce({{ parse_amount('discount_amount') }}, 0) as discount_amount,

        ---------- timestamps
        {{ parse_timestamp('ordered_at', '_date_order') }} as ordered_at_parsed,
        {{ is_ambiguous_date('ordered_at', '_date_order') }} as has_ambiguous_date,

        ---------- raw values and lineage
        order_id as raw_order_id,
        customer_id as raw_customer_id,
        ordered_at as raw_ordered_at,
        order_total as raw_order_total,
        _source_file,
        _source_row,
        _loaded_at
    from parsed
),

flagged as (
    select
        *,
        {{ plausible_timestamp('ordered_at_parsed') }} as ordered_at,
        case
            when order_id is null then 'missing_key'
            when customer_id is null then 'missing_customer_id'
            when has_ambiguous_date then 'ambiguous_date'
            when {{ plausible_timestamp('ordered_at_parsed') }} is null then 'unparseable_date'
            when order_total is null then 'unparseable_amount'
            when order_total < 0 then 'negative_amount'
            when order_total > {{ var('max_order_total') }} then 'absurd_amount'
            when discount_amount < 0 then 'negative_amount'
        end as dq_reason
    from typed
),

final as (
    select
        order_id,
        customer_id,
        currency,
        order_status,
        channel,
        order_total,
        discount_amount,
        ordered_at,
        dq_reason,
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_order_total,
        _source_file,
        _source_row,
        _loaded_at
    from flagged
)

select * from final
