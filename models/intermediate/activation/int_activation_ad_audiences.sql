{#-
    Segment members ad platforms may receive: people with consent to paid-media audiences
    (has_ads_consent) and an email address, one row per person and segment of the exported
    segment types. Only the SHA-256 of the normalized email leaves: no address, no name, no id.
-#}
{{ config(tags=['realtime', 'activation']) }}
with

membership as (
    select * from {{ ref('segment_membership') }}
    where {{ export_segment_type_filter('segment_type') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
    where has_ads_consent
        and email is not null
),

final as (
    select distinct
        {{ activation_segment_key('membership.segment_type', 'membership.segment_name') }} as segment,
        {{ hashed_email('profiles.email') }} as email_sha256
    from membership
    inner join profiles
        on membership.person_id = profiles.person_id
)

select * from final
