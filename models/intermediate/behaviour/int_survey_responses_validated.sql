{#-
    Every staged survey response with its final dq_reason: staging's own reason, else
      future_timestamp  submitted_at later than the build's clock + future_tolerance_days
                        (rows after the as-of date but not after the clock stay clean).
-#}
{#- a table: the quarantine, the duplicates report, the audit and deduplication all read it -#}
{{ config(materialized='table') }}

with

survey_responses as (
    select * from {{ ref('stg_survey__responses') }}
),

checked as (
    select
        *,
        case
            when dq_reason is not null then dq_reason
            when submitted_at >= {{ future_cutoff() }} then 'future_timestamp'
        end as final_dq_reason
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
        final_dq_reason as dq_reason,
        _source_file,
        _source_row
    from checked
)

select * from final
