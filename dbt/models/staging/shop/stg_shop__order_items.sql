-- Order line items, one row per order_id and line_number (the first version landed).
{{ config(**voc360.landed_window_config(unique_key=['order_id', 'line_number'])) }}
with source as (

    {{ voc360.incremental_source('raw', 'order_items', ['order_id', 'line_number']) }}

),

typed as (

    select
        order_id,
        {{ dbt.safe_cast('line_number', dbt.type_int()) }} as line_number,
        product_id,
        nullif(trim(product_category), '') as product_category,
        {{ dbt.safe_cast('quantity', dbt.type_int()) }} as quantity,
        {{ dbt.safe_cast('unit_price', voc360.type_double()) }} as unit_price,
        {{ voc360.to_utc_timestamp('ordered_at') }} as ordered_at,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by=['order_id', 'line_number']) }}

)

select
    order_id,
    line_number,
    product_id,
    product_category,
    quantity,
    unit_price,
    quantity * unit_price as line_amount,
    ordered_at,
    cast(ordered_at as date) as ordered_date,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
