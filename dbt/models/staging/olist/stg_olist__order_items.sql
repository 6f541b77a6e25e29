-- Olist order line items, one row per order_id and order_item_id; money in BRL.
with source as (

    select * from {{ source('raw', 'olist_order_items') }}

),

typed as (

    select
        order_id,
        {{ dbt.safe_cast('order_item_id', dbt.type_int()) }} as order_item_id,
        product_id,
        nullif(trim(seller_id), '') as seller_id,
        {{ voc360.to_utc_timestamp('shipping_limit_date') }} as shipping_limit_at,
        {{ dbt.safe_cast('price', voc360.type_double()) }} as price,
        {{ dbt.safe_cast('freight_value', voc360.type_double()) }} as freight_value,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by=['order_id', 'order_item_id']) }}

)

select
    order_id,
    order_item_id,
    product_id,
    seller_id,
    shipping_limit_at,
    price,
    freight_value,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
