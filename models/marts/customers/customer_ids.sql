{#-
    Every CRM customer_id of a profiled person, with that person: the lookup behind the scoring
    API's GET /v1/customers/{customer_id} (audience/api), which a CRM calls with whichever of a
    person's customer_ids it holds. Read from the identity graph (int_identities_stitched), so a
    second registration resolves to the same person as the first. customer_ids of components
    without a profile (none at the as-of date) are left out: the API answers 404 for them.
-#}
{{ config(materialized='table') }}

select
    ids.identifier as customer_id,
    ids.person_id
from {{ ref('int_identities_stitched') }} as ids
where ids.identifier_type = 'customer_id'
    and exists (
        select 1
        from {{ ref('customer_profiles') }} as profiles
        where profiles.person_id = ids.person_id
    )
