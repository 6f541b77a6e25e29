-- Twitter customers for int_person_map: one record per (hashed) author of a customer tweet.
select distinct
    'twcs_customer' as record_type,
    customer_author_hash as record_key,
    {{ voc360.mapped_person_id("'twcs_customer'", 'customer_author_hash') }} as person_id,
    cast(null as {{ dbt.type_string() }}) as anchor_customer_id,
    true as is_anchor,
    0 as person_crm_customers,
    1 as person_records
from {{ ref('stg_twcs__tweets') }}
where is_inbound
