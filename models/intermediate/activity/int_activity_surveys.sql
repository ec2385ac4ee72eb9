{#-
    The latest survey answers of every person who answered, per as-of date
    (int_activity_as_of_dates): the latest NPS and the latest satisfaction answer given by then
    (latest submitted_at, then the highest response_id), each over the responses that answer it.
    A response belongs to the person of its customer_id, else of its email address.
-#}
{{ config(materialized='table') }}

with

as_of_dates as (
    select * from {{ ref('int_activity_as_of_dates') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

clean_survey_responses as (
    select * from {{ ref('int_survey_responses_deduplicated') }}
),

customer_people as (
    select
        identifier as customer_id,
        person_id
    from identities
    where identifier_type = 'customer_id'
),

email_people as (
    select
        identifier as email,
        person_id
    from identities
    where identifier_type = 'email'
),

answers as (
    select
        as_of_dates.as_of_date,
        coalesce(by_customer.person_id, by_email.person_id) as person_id,
        clean_survey_responses.response_id,
        clean_survey_responses.nps_score,
        clean_survey_responses.satisfaction_score,
        clean_survey_responses.submitted_at
    from clean_survey_responses
    inner join as_of_dates
        on clean_survey_responses.submitted_at < as_of_dates.cutoff_at
    left join customer_people as by_customer
        on clean_survey_responses.customer_id = by_customer.customer_id
    left join email_people as by_email
        on clean_survey_responses.email = by_email.email
),

{# the rank puts the responses without that answer last -#}
ranked as (
    select
        as_of_date,
        person_id,
        nps_score,
        satisfaction_score,
        row_number() over (
            partition by as_of_date, person_id
            order by case when nps_score is null then 1 else 0 end, submitted_at desc, response_id desc
        ) as nps_rank,
        row_number() over (
            partition by as_of_date, person_id
            order by case when satisfaction_score is null then 1 else 0 end, submitted_at desc, response_id desc
        ) as satisfaction_rank
    from answers
    where person_id is not null
        and (nps_score is not null or satisfaction_score is not null)
),

final as (
    select
        as_of_date,
        person_id,
        max(case when nps_rank = 1 then nps_score end) as nps_score,
        max(case when satisfaction_rank = 1 then satisfaction_score end) as satisfaction_score
    from ranked
    group by as_of_date, person_id
)

select * from final
