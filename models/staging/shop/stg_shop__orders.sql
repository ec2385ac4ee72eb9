{#- incremental by landed file (macros/staging/incremental_by_source_file.sql): only new or
    reloaded raw files are typed; staged rows of files gone from raw are deleted first. Whole
    files are typed together, so the per-file decimal convention sees every row of a file. -#}
{{ config(materialized=incremental_materialization(), pre_hook="{{ delete_unlanded_source_files(source('shop', 'orders')) }}") }}

with

source as (
    select * from {{ source('shop', 'orders') }}
    where {{ source_files_to_stage(source('shop', 'orders')) }}
),

{# source_dated: the rows with _date_order, their file's day/month order of slashed dates #}
{{ file_date_order_ctes('source', ['ordered_at']) }},

{# the status code and the amounts' number text and currency marks computed once per row
    (macros/standardize/parse_amount.sql) -#}
squeezed as (
    select
        *,
        {{ amount_squeezed('order_total') }} as order_total_squeezed,
        {{ amount_squeezed('discount_amount') }} as discount_squeezed
    from source_dated
),

parsed as (
    select
        *,
        {{ clean_code('status') }} as status_code,
        upper({{ clean_text('currency') }}) as currency_text,
        {{ amount_text('order_total_squeezed') }} as order_total_text,
        {{ amount_text('discount_squeezed') }} as discount_text,
        {{ amount_currency_mark('order_total_squeezed') }} as order_total_mark,
        {{ amount_currency_mark('discount_squeezed') }} as discount_mark
    from squeezed
),

evidenced as (
    select
        *,
        -- the currency the row states: its currency column, else the mark on its amounts
        coalesce(
            case currency_text when '€' then 'EUR' when '£' then 'GBP' else currency_text end,
            order_total_mark,
            discount_mark
        ) as stated_currency,
        {{ amount_evidence('order_total_text') }} as order_total_evidence,
        {{ amount_evidence('discount_text') }} as discount_evidence
    from parsed
),

{# the decimal convention of each file and amount column (a column without evidence of its
    own takes the convention of the file's amount columns together), and the file's currency
    when all its rows that state one state the same -#}
file_conventions as (
    select
        _source_file,
        count(distinct stated_currency) as stated_currencies,
        min(stated_currency) as file_currency,
        {{ amount_convention(['order_total_evidence']) }} as order_total_convention,
        {{ amount_convention(['discount_evidence']) }} as discount_convention,
        {{ amount_convention(['order_total_evidence', 'discount_evidence']) }} as file_convention
    from evidenced
    group by _source_file
),

read as (
    select
        evidenced.*,
        file_conventions.stated_currencies,
        file_conventions.file_currency,
        {{ amount_reading('evidenced.order_total_evidence',
            'coalesce(file_conventions.order_total_convention, file_conventions.file_convention)') }}
            as order_total_reading,
        {{ amount_reading('evidenced.discount_evidence',
            'coalesce(file_conventions.discount_convention, file_conventions.file_convention)') }}
            as discount_reading
    from evidenced
    inner join file_conventions
        on evidenced._source_file = file_conventions._source_file
),

typed as (
    select
        ---------- ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,

        ---------- strings
        -- the currency the row states; a row without one takes its file's only currency, or
        -- var default_currency in a file where no row states any (missing_currency otherwise)
        case
            when stated_currency is not null then stated_currency
            when stated_currencies = 1 then file_currency
            when stated_currencies = 0 then {{ sql_string(var("default_currency")) }}
        end as currency,
        currency_text,
        order_total_mark,
        discount_mark,
        case
            -- no status and a negative total: a credit note, the way status-less exports
            -- (and accounting systems) write refunds and cancellations
            when status_code is null and order_total_text like '-%' then 'returned'
            when status_code is null then 'completed'
            when status_code in ('completed', 'complete', 'paid', 'shipped', 'delivered') then 'completed'
            when status_code in ('cancelled', 'canceled', 'void') then 'cancelled'
            when status_code in ('returned', 'refunded') then 'returned'
            else 'other'
        end as order_status,
        {{ clean_code('channel') }} as channel,

        ---------- numerics
        {{ parse_amount_text('order_total_text', 'order_total_reading') }} as order_total,
        order_total_reading,
        case
            when discount_text is null then 0
            else {{ parse_amount_text('discount_text', 'discount_reading') }}
        end as discount_amount,
        discount_reading,

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
    from read
),

flagged as (
    select
        *,
        {{ plausible_timestamp('ordered_at_parsed') }} as ordered_at,
        case
            when order_id is null then 'missing_key'
            -- Excel's scientific notation (1.23457E+11) has lost the id's last digits
            when {{ regexp_full('upper(order_id)', '[0-9]([.,][0-9]+)?E[+][0-9]+') }}
                or {{ regexp_full('upper(customer_id)', '[0-9]([.,][0-9]+)?E[+][0-9]+') }}
                then 'invalid_id'
            when customer_id is null then 'missing_customer_id'
            when has_ambiguous_date then 'ambiguous_date'
            when {{ plausible_timestamp('ordered_at_parsed') }} is null then 'unparseable_date'
            when order_total_reading is null then 'missing_amount'
            when order_total_reading = 'ambiguous' or discount_reading = 'ambiguous' then 'ambiguous_amount'
            when order_total is null or discount_amount is null then 'unparseable_amount'
            when currency is null then 'missing_currency'
            when currency_text is not null
                and not {{ regexp_full('currency_text', '[A-Z]{3}|€|£') }} then 'invalid_currency'
            when order_total_mark != currency or discount_mark != currency then 'currency_mismatch'
            -- a negative total is a refund or a cancellation note, which its status must say
            when order_total < 0 and order_status not in ('cancelled', 'returned') then 'negative_amount'
            when abs(order_total) > {{ var('max_order_total') }} then 'absurd_amount'
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
