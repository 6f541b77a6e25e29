-- Store till receipts, one row per receipt_id (the first version landed). Tills write local wall-clock
-- time; purchased_at is converted to UTC with the store's time zone, purchased_local_at keeps the
-- wall-clock time for hour-of-day analysis.
with source as (

    select * from {{ source('raw', 'pos_receipts') }}

),

typed as (

    select
        receipt_id,
        store_id,
        nullif(trim(store_city), '') as store_city,
        trim(store_timezone) as store_timezone,
        {{ voc360.local_to_utc('purchased_at', 'trim(store_timezone)') }} as purchased_at,
        case
            when not {{ voc360.has_utc_offset('purchased_at') }}
                then {{ dbt.safe_cast('purchased_at', dbt.type_timestamp()) }}
        end as purchased_local_at,
        {{ voc360.hash_pii(voc360.normalise_phone('phone', voc360.phone_country(city='store_city', timezone='store_timezone'))) }} as phone_hash,
        nullif(trim(loyalty_card), '') as loyalty_card,
        {{ voc360.name_key('customer_name') }} as customer_name_key,
        {{ dbt.safe_cast('item_count', dbt.type_int()) }} as item_count,
        {{ dbt.safe_cast('total_amount', voc360.type_double()) }} as total_amount,
        nullif(lower(trim(payment_method)), '') as payment_method,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='receipt_id') }}

)

select
    receipt_id,
    store_id,
    store_city,
    store_timezone,
    purchased_at,
    cast(purchased_at as date) as purchased_date,
    purchased_local_at,
    phone_hash,
    loyalty_card,
    customer_name_key,
    phone_hash is null and loyalty_card is null as is_anonymous,
    item_count,
    total_amount,
    payment_method,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
