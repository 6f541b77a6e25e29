-- One row per CRM customer: the latest version of the record (by updated_at).
with customer_versions as (

    select * from {{ ref('stg_crm__customer_versions') }}

)

select
    customer_id,
    version_number as version_count,
    updated_at,
    cast(updated_at as date) as updated_date,
    signup_at,
    cast(signup_at as date) as signup_date,
    email_hash,
    email_match_hash,
    phone_hash,
    first_name_hash,
    last_name_hash,
    name_key,
    birth_year,
    gender,
    city,
    loyalty_card,
    has_marketing_opt_in,
    _source_file,
    _line_number,
    _partition_date
from customer_versions
where is_current
