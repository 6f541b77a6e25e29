-- Product reviews, one row per review_id (the first version landed). Title and body stay as written:
-- they are masked in a later layer.
with source as (

    select * from {{ source('raw', 'reviews') }}

),

typed as (

    select
        review_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(order_id), '') as order_id,
        product_id,
        {{ dbt.safe_cast('rating', dbt.type_int()) }} as rating,
        title,
        body,
        nullif(lower(trim(language)), '') as language,
        {{ voc360.to_utc_timestamp('created_at') }} as created_at,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='review_id') }}

)

select
    review_id,
    customer_id,
    order_id,
    product_id,
    rating,
    title,
    body,
    language,
    created_at,
    cast(created_at as date) as created_date,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
