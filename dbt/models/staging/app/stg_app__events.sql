-- Mobile app events, one row per event_id (the first version landed).
{{ config(**voc360.landed_window_config(unique_key='event_id')) }}
with source as (

    {{ voc360.incremental_source('raw', 'app_events', ['event_id']) }}

),

typed as (

    select
        event_id,
        device_id,
        nullif(trim(user_id), '') as user_id,
        {{ voc360.to_utc_timestamp('occurred_at') }} as occurred_at,
        nullif(lower(trim(event_type)), '') as event_type,
        nullif(trim(screen), '') as screen,
        nullif(trim(feature), '') as feature,
        nullif(trim(app_version), '') as app_version,
        nullif(lower(trim(os)), '') as os,
        crash_reason,
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
    device_id,
    user_id,
    occurred_at,
    cast(occurred_at as date) as occurred_date,
    event_type,
    screen,
    feature,
    app_version,
    os,
    crash_reason,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
