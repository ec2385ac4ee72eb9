{#- incremental by landed file (macros/staging/incremental_by_source_file.sql): only new or
    reloaded raw files are typed; staged rows of files gone from raw are deleted first. Whole
    files are typed together, so the per-file decimal convention sees every row of a file. -#}
{{ config(materialized=incremental_materialization(), pre_hook="{{ delete_unlanded_source_files(source('shop', 'order_items')) }}") }}

with

source as (
    select * from {{ source('shop', 'order_items') }}
    where {{ source_files_to_stage(source('shop', 'order_items')) }}
),

{# each value's number text computed once here (macros/standardize/parse_amount.sql) -#}
squeezed as (
    select
        *,
        {{ amount_squeezed('unit_price') }} as unit_price_squeezed
    from source
),

parsed as (
    select
        *,
        {{ whole_number_value(number_text('line_number')) }} as line_number_value,
        {{ number_text('quantity') }} as quantity_text,
        {{ amount_text('unit_price_squeezed') }} as unit_price_text
    from squeezed
),

evidenced as (
    select
        *,
        {{ amount_evidence('unit_price_text') }} as unit_price_evidence,
        {{ whole_number_value('quantity_text') }} as quantity_value
    from parsed
),

{# per file: the unit prices' decimal convention, and whether the file has quantities at all -#}
file_conventions as (
    select
        _source_file,
        {{ amount_convention(['unit_price_evidence']) }} as unit_price_convention,
        count(quantity_text) > 0 as has_quantities
    from evidenced
    group by _source_file
),

read as (
    select
        evidenced.*,
        {{ amount_reading('evidenced.unit_price_evidence', 'file_conventions.unit_price_convention') }}
            as unit_price_reading,
        file_conventions.has_quantities
    from evidenced
    inner join file_conventions
        on evidenced._source_file = file_conventions._source_file
),

typed as (
    select
        ---------- ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,

        ---------- strings
        coalesce({{ clean_code('category') }}, 'unknown') as category,

        ---------- numerics
        {{ amount_as_integer('line_number_value') }} as line_number,
        -- a file without quantities has one unit per line; in a file with quantities each
        -- line needs a whole number
        case
            when not has_quantities then 1
            else {{ amount_as_integer('quantity_value') }}
        end as quantity,
        {{ parse_amount_text('unit_price_text', 'unit_price_reading') }} as unit_price,
        unit_price_reading,

        ---------- raw values and lineage
        order_id as raw_order_id,
        quantity as raw_quantity,
        unit_price as raw_unit_price,
        _source_file,
        _source_row,
        _loaded_at
    from read
),

final as (
    select
        {{ dbt.concat(["coalesce(order_id, '')", "'#'", "coalesce(" ~ dbt.safe_cast('line_number', api.Column.translate_type('string')) ~ ", cast(_source_row as " ~ api.Column.translate_type('string') ~ "))"]) }} as order_item_id,
        order_id,
        product_id,
        category,
        line_number,
        quantity,
        unit_price,
        quantity * unit_price as line_total,
        -- a negative quantity is a returned line: int_order_items_validated keeps it on a
        -- return or cancellation and quarantines it on a purchase
        case
            when order_id is null or product_id is null then 'missing_key'
            when {{ regexp_full('upper(order_id)', '[0-9]([.,][0-9]+)?E[+][0-9]+') }} then 'invalid_id'
            when quantity is null or quantity = 0 then 'invalid_quantity'
            when unit_price_reading is null then 'missing_amount'
            when unit_price_reading = 'ambiguous' then 'ambiguous_amount'
            when unit_price is null then 'unparseable_amount'
            when unit_price < 0 then 'negative_amount'
            when abs(quantity * unit_price) > {{ var('max_order_total') }} then 'absurd_amount'
        end as dq_reason,
        raw_order_id,
        raw_quantity,
        raw_unit_price,
        _source_file,
        _source_row,
        _loaded_at
    from typed
)

select * from final
