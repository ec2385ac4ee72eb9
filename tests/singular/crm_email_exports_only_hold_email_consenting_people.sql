{#-
    Every row of the CRM email files (read back from the CSV and Parquet files) is a person
    with email consent, and the address is that person's normalized email.
-#}
with

exported as (
    select segment, person_id, email, 'csv' as file_format from {{ ref('export_crm_email_csv') }}
    union all
    select segment, person_id, email, 'parquet' as file_format from {{ ref('export_crm_email_parquet') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

final as (
    select exported.*
    from exported
    left join profiles
        on exported.person_id = profiles.person_id
    where exported.segment is not null
        and (
            profiles.person_id is null
            or not coalesce(profiles.has_email_consent, false)
            or exported.email is null
            or exported.email != {{ normalized_email_for_matching('profiles.email') }}
        )
)

select * from final
