-- E-commerce orders, one row per order_id (the first version landed), amounts typed, contact e-mail and
-- phone hashed.
{{ config(**voc360.landed_window_config(unique_key='order_id')) }}
with source as (

    {{ voc360.incremental_source('raw', 'orders', ['order_id']) }}

),

typed as (

    select
        order_id,
        customer_id,
        nullif(lower(trim(channel)), '') as channel,
        {{ voc360.to_utc_timestamp('ordered_at') }} as ordered_at,
        nullif(lower(trim(status)), '') as status,
        nullif(upper(trim(currency)), '') as currency,
        {{ dbt.safe_cast('gross_amount', voc360.type_double()) }} as gross_amount,
        {{ dbt.safe_cast('discount_amount', voc360.type_double()) }} as discount_amount,
        {{ dbt.safe_cast('shipping_amount', voc360.type_double()) }} as shipping_amount,
        {{ dbt.safe_cast('net_amount', voc360.type_double()) }} as net_amount,
        {{ dbt.safe_cast('is_gift', dbt.type_boolean()) }} as is_gift,
        gift_message,
        nullif(trim(shipping_city), '') as shipping_city,
        nullif(trim(coupon_code), '') as coupon_code,
        {{ voc360.hash_pii(voc360.normalise_email('contact_email')) }} as contact_email_hash,
        {{ voc360.hash_pii(voc360.normalise_phone('contact_phone', voc360.phone_country(city='shipping_city'))) }} as contact_phone_hash,
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
    channel,
    ordered_at,
    cast(ordered_at as date) as ordered_date,
    status,
    currency,
    gross_amount,
    discount_amount,
    shipping_amount,
    net_amount,
    is_gift,
    gift_message,
    shipping_city,
    coupon_code,
    contact_email_hash,
    contact_phone_hash,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
