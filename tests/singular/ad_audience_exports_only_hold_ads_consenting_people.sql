{#-
    Every hash in the ad-platform files (read back from the CSV and Parquet files) belongs to a
    person with ads consent: a hash that matches no consenting person's email, or that matches
    a person without ads consent, fails.
-#}
with

exported as (
    select segment, email_sha256, 'csv' as file_format from {{ ref('export_ad_audiences_csv') }}
    union all
    select segment, email_sha256, 'parquet' as file_format from {{ ref('export_ad_audiences_parquet') }}
),

profiles as (
    select
        {{ hashed_email('email') }} as email_sha256,
        has_ads_consent
    from {{ ref('customer_profiles') }}
    where email is not null
),

consenting as (
    select distinct email_sha256 from profiles where has_ads_consent
),

final as (
    select exported.*
    from exported
    left join consenting
        on exported.email_sha256 = consenting.email_sha256
    where exported.segment is not null
        and consenting.email_sha256 is null
)

select * from final
