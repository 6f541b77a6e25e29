-- Olist orders, one row per order_id. The export writes local Brazilian time without a zone; it is taken
-- as UTC (the day of an order may differ by a few hours' worth of orders).
with source as (

    select * from {{ source('raw', 'olist_orders') }}

),

typed as (

    select
        order_id,
        customer_id,
        nullif(lower(trim(order_status)), '') as order_status,
        {{ voc360.to_utc_timestamp('order_purchase_timestamp') }} as purchased_at,
        {{ voc360.to_utc_timestamp('order_approved_at') }} as approved_at,
        {{ voc360.to_utc_timestamp('order_delivered_carrier_date') }} as delivered_to_carrier_at,
        {{ voc360.to_utc_timestamp('order_delivered_customer_date') }} as delivered_at,
        {{ voc360.to_utc_timestamp('order_estimated_delivery_date') }} as estimated_delivery_at,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='order_id') }}

)

select
    order_id,
    customer_id,
    order_status,
    purchased_at,
    cast(purchased_at as date) as purchased_date,
    approved_at,
    delivered_to_carrier_at,
    delivered_at,
    estimated_delivery_at,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
