{#- incremental by landed file (macros/staging/incremental_by_source_file.sql):
    only new or reloaded raw files are typed -#}
{{ config(materialized=incremental_materialization(), pre_hook="{{ delete_unlanded_source_files(source('survey', 'responses')) }}") }}

with

source as (
    select * from {{ source('survey', 'responses') }}
    where {{ source_files_to_stage(source('survey', 'responses')) }}
),

{# source_dated: the rows with _date_order, their file's day/month order of slashed dates #}
{{ file_date_order_ctes('source', ['submitted_at']) }},

{# the scores read through the amount parser (macros/standardize/parse_amount.sql) in steps,
    each computed once per row: blanks and marks squeezed out, the number text, its value -#}
squeezed as (
    select
        *,
        {{ amount_squeezed('nps_score') }} as nps_score_squeezed,
        {{ amount_squeezed('satisfaction_score') }} as satisfaction_score_squeezed
    from source_dated
),

texts as (
    select
        *,
        {{ amount_text('nps_score_squeezed') }} as nps_score_text,
        {{ amount_text('satisfaction_score_squeezed') }} as satisfaction_score_text
    from squeezed
),

amounts as (
    select
        *,
        {{ parse_amount_text('nps_score_text', amount_evidence('nps_score_text')) }} as nps_score_amount,
        {{ parse_amount_text('satisfaction_score_text', amount_evidence('satisfaction_score_text')) }}
            as satisfaction_score_amount
    from texts
),

typed as (
    select
        ---------- ids
        {{ clean_text('response_id') }} as response_id,
        {{ clean_text('customer_id') }} as customer_id,

        ---------- strings
        {{ normalize_email('email') }} as email,
        {{ clean_code('preferred_channel') }} as preferred_channel,
        {{ clean_text('comment') }} as comment,

        ---------- numerics
        {{ amount_as_integer('nps_score_amount') }} as nps_score_parsed,
        {{ amount_as_integer('satisfaction_score_amount') }} as satisfaction_score_parsed,

        ---------- timestamps
        {{ plausible_timestamp(parse_timestamp('submitted_at', '_date_order')) }} as submitted_at,
        {{ is_ambiguous_date('submitted_at', '_date_order') }} as has_ambiguous_date,

        ---------- raw values and lineage
        email as raw_email,
        nps_score as raw_nps_score,
        satisfaction_score as raw_satisfaction_score,
        submitted_at as raw_submitted_at,
        _source_file,
        _source_row,
        _loaded_at
    from amounts
),

final as (
    select
        response_id,
        customer_id,
        email,
        preferred_channel,
        comment,
        case when nps_score_parsed between 0 and 10 then nps_score_parsed end as nps_score,
        case when satisfaction_score_parsed between 1 and 5 then satisfaction_score_parsed end as satisfaction_score,
        submitted_at,
        case
            when response_id is null then 'missing_key'
            when customer_id is null and {{ invalid_email_text('raw_email', 'email') }} then 'invalid_email'
            when customer_id is null and email is null then 'missing_identity'
            when has_ambiguous_date then 'ambiguous_date'
            when submitted_at is null then 'unparseable_date'
            -- a score given but not a whole number ('9.5', '10/10', 'sat 4/5'): never read as blank
            when nullif(trim(raw_nps_score), '') is not null and nps_score_parsed is null then 'invalid_score'
            when nullif(trim(raw_satisfaction_score), '') is not null and satisfaction_score_parsed is null
                then 'invalid_score'
            when nps_score_parsed is not null and nps_score_parsed not between 0 and 10 then 'out_of_range'
            when satisfaction_score_parsed is not null and satisfaction_score_parsed not between 1 and 5 then 'out_of_range'
        end as dq_reason,
        raw_nps_score,
        raw_satisfaction_score,
        raw_submitted_at,
        _source_file,
        _source_row,
        _loaded_at
    from typed
)

select * from final
