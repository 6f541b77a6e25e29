-- Web clickstream events, one row per event_id (the first version landed).
{{ config(**voc360.landed_window_config(unique_key='event_id')) }}
with source as (

    {{ voc360.incremental_source('raw', 'web_events', ['event_id']) }}

),

typed as (

    select
        event_id,
        session_id,
        anonymous_id,
        nullif(trim(login_id), '') as login_id,
        {{ voc360.to_utc_timestamp('occurred_at') }} as occurred_at,
        nullif(lower(trim(event_type)), '') as event_type,
        page_url,
        nullif(trim(product_id), '') as product_id,
        {{ dbt.safe_cast('dwell_seconds', voc360.type_double()) }} as dwell_seconds,
        referrer,
        nullif(lower(trim(device_type)), '') as device_type,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='event_id') }}

)

select
    event_id,
    session_id,
    anonymous_id,
    login_id,
    occurred_at,
    cast(occurred_at as date) as occurred_date,
    event_type,
    page_url,
    product_id,
    dwell_seconds,
    referrer,
    device_type,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
