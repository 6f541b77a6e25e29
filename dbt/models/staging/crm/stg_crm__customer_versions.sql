-- Every version of every CRM customer record (one row per customer_id and updated_at), typed, with
-- personal data hashed: e-mail (also with domain misspellings corrected, for identity matching) and phone
-- after normalisation, names as hashed keys, birth date reduced to the year.
with source as (

    select * from {{ source('raw', 'crm_customers') }}

),

typed as (

    select
        customer_id,
        {{ voc360.to_utc_timestamp('updated_at') }} as updated_at,
        {{ voc360.to_utc_timestamp('signup_at') }} as signup_at,
        {{ voc360.hash_pii(voc360.normalise_email('email')) }} as email_hash,
        {{ voc360.hash_pii(voc360.email_match_key('email')) }} as email_match_hash,
        {{ voc360.hash_pii(voc360.normalise_phone('phone', voc360.phone_country(city='city'))) }} as phone_hash,
        {{ voc360.hash_pii(voc360.normalise_name('first_name')) }} as first_name_hash,
        {{ voc360.hash_pii(voc360.normalise_name('last_name')) }} as last_name_hash,
        {{ voc360.name_key(['first_name', 'last_name']) }} as name_key,
        cast(
            extract(year from {{ dbt.safe_cast('birth_date', voc360.type_date()) }}) as {{ dbt.type_int() }}
        ) as birth_year,
        nullif(lower(trim(gender)), '') as gender,
        nullif(trim(city), '') as city,
        nullif(trim(loyalty_card), '') as loyalty_card,
        {{ dbt.safe_cast('marketing_opt_in', dbt.type_boolean()) }} as has_marketing_opt_in,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by=['customer_id', 'updated_at']) }}

),

versioned as (

    select
        *,
        row_number() over (partition by customer_id order by updated_at) as version_number,
        lead(updated_at) over (partition by customer_id order by updated_at) as valid_to
    from deduplicated

)

select
    customer_id,
    version_number,
    updated_at as valid_from,
    valid_to,
    valid_to is null as is_current,
    updated_at,
    cast(updated_at as date) as updated_date,
    signup_at,
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
from versioned
