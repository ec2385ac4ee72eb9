{#-
    Segment members the CRM may email: people with email consent (has_email_consent) and an
    email address, one row per person and segment of the exported segment types (var
    `export_segment_types`). First-party data, so the address itself is exported (normalized:
    trimmed, lower-case).
-#}
{{ config(tags=['realtime', 'activation']) }}
with

membership as (
    select * from {{ ref('segment_membership') }}
    where {{ export_segment_type_filter('segment_type') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
    where has_email_consent
        and email is not null
),

final as (
    select
        {{ activation_segment_key('membership.segment_type', 'membership.segment_name') }} as segment,
        membership.person_id,
        profiles.primary_customer_id as customer_id,
        {{ normalized_email_for_matching('profiles.email') }} as email,
        profiles.first_name,
        profiles.country_code,
        membership.segment_type,
        membership.segment_name,
        membership.reason,
        membership.assigned_at,
        membership.as_of_date
    from membership
    inner join profiles
        on membership.person_id = profiles.person_id
)

select * from final
