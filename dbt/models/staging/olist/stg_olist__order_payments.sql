-- Olist payments, one row per order_id and payment_sequential; money in BRL.
with source as (

    select * from {{ source('raw', 'olist_order_payments') }}

),

typed as (

    select
        order_id,
        {{ dbt.safe_cast('payment_sequential', dbt.type_int()) }} as payment_sequential,
        nullif(lower(trim(payment_type)), '') as payment_type,
        {{ dbt.safe_cast('payment_installments', dbt.type_int()) }} as payment_installments,
        {{ dbt.safe_cast('payment_value', voc360.type_double()) }} as payment_value,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by=['order_id', 'payment_sequential']) }}

)

select
    order_id,
    payment_sequential,
    payment_type,
    payment_installments,
    payment_value,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
