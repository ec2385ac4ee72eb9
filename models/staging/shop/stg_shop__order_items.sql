{#- incremental by landed file (macros/staging/incremental_by_source_file.sql, issue 7): only
    new or reloaded raw files are typed; staged rows of files gone from raw are deleted first -#}
{{ config(pre_hook="{{ delete_unlanded_source_files(source('shop', 'order_items')) }}") }}

with

source as (
    select * from {{ source('shop', 'order_items') }}
    where {{ source_files_to_stage(source('shop', 'order_items')) }}
),

{#- issue 7: each amount parsed once here (parse_integer inlined it four times per column) -#}
parsed as (
    select
        *,
        {{ parse_amount('line_number') }} as line_number_amount,
        {{ parse_amount('quantity') }} as quantity_amount
    from source
),

typed as (
    select
        ---------- ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,

        ---------- strings
        coalesce({{ clean_code('category') }}, 'unknown') as category,

        ---------- numerics
        {{ amount_as_integer('line_number_amount') }} as line_number,
        coalesce({{ amount_as_integer('quantity_amount') }}, 1) as quantity,
        {{ parse_amount('unit_price') }} as unit_price,

        ---------- raw values and lineage
        order_id as raw_order_id,
        quantity as raw_quantity,
        unit_price as raw_unit_price,
        _source_file,
        _source_row,
        _loaded_at
    from parsed
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
        case
            when order_id is null or product_id is null then 'missing_key'
            when unit_price is null and raw_unit_price is not null then 'unparseable_amount'
            when unit_price < 0 then 'negative_amount'
            when quantity <= 0 then 'invalid_quantity'
            when quantity * unit_price > {{ var('max_order_total') }} then 'absurd_amount'
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
