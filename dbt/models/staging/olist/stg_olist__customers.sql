-- Olist customers, one row per customer_id. Olist gives every order its own customer_id; customer_unique_id
-- is the person behind them.
with source as (

    select * from {{ source('raw', 'olist_customers') }}

),

deduplicated as (

    {{ voc360.dedupe('source', partition_by='customer_id') }}

)

select
    customer_id,
    customer_unique_id,
    nullif(trim(customer_zip_code_prefix), '') as zip_code_prefix,
    nullif(lower(trim(customer_city)), '') as city,
    nullif(upper(trim(customer_state)), '') as state,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
