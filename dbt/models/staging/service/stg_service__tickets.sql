-- Helpdesk tickets, one row per ticket_id (the first version landed), requester e-mail and phone hashed.
with source as (

    select * from {{ source('raw', 'tickets') }}

),

typed as (

    select
        ticket_id,
        nullif(trim(customer_id), '') as customer_id,
        {{ voc360.hash_pii(voc360.normalise_email('requester_email')) }} as requester_email_hash,
        {{ voc360.hash_pii(voc360.normalise_phone('requester_phone')) }} as requester_phone_hash,
        {{ voc360.normalise_handle('requester_handle') }} as requester_handle,
        nullif(lower(trim(channel)), '') as channel,
        subject,
        nullif(lower(trim(priority)), '') as priority,
        {{ voc360.to_utc_timestamp('created_at') }} as created_at,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='ticket_id') }}

)

select
    ticket_id,
    customer_id,
    requester_email_hash,
    requester_phone_hash,
    requester_handle,
    channel,
    subject,
    priority,
    created_at,
    cast(created_at as date) as created_date,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
