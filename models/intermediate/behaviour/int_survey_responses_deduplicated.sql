{#- Clean survey responses, one row per response_id; the latest landed version wins. -#}
{{ config(materialized='table') }}

with

survey_responses as (
    select * from {{ ref('int_survey_responses_validated') }}
    where dq_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by response_id
            order by {{ latest_landed_order() }}
        ) as version_rank
    from survey_responses
),

final as (
    select
        response_id,
        customer_id,
        email,
        preferred_channel,
        comment,
        nps_score,
        satisfaction_score,
        submitted_at,
        _source_file,
        _source_row
    from ranked
    where version_rank = 1
)

select * from final
