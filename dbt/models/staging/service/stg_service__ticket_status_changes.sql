-- Ticket status transitions, one row per change_id (the first version landed).
{{ config(**voc360.landed_window_config(unique_key='change_id')) }}
with source as (

    {{ voc360.incremental_source('raw', 'ticket_status_changes', ['change_id']) }}

),

typed as (

    select
        change_id,
        ticket_id,
        nullif(lower(trim(from_status)), '') as from_status,
        nullif(lower(trim(to_status)), '') as to_status,
        {{ voc360.to_utc_timestamp('changed_at') }} as changed_at,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='change_id') }}

)

select
    change_id,
    ticket_id,
    from_status,
    to_status,
    coalesce(from_status = 'solved' and to_status = 'open', false) as is_reopen,
    changed_at,
    cast(changed_at as date) as changed_date,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
