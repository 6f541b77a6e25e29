-- Olist persons for int_person_map: one record per customer_unique_id (Olist's own person key; nothing in
-- the export links it to another source).
select distinct
    'olist_customer' as record_type,
    customer_unique_id as record_key,
    {{ voc360.mapped_person_id("'olist_customer'", 'customer_unique_id') }} as person_id,
    cast(null as {{ dbt.type_string() }}) as anchor_customer_id,
    true as is_anchor,
    0 as person_crm_customers,
    1 as person_records
from {{ ref('stg_olist__customers') }}
