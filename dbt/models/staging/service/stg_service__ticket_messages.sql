-- Messages on tickets, one row per message_id (the first version landed). Bodies stay as written: they
-- are masked in a later layer.
{{ config(**voc360.landed_window_config(unique_key='message_id')) }}
with source as (

    {{ voc360.incremental_source('raw', 'ticket_messages', ['message_id']) }}

),

typed as (

    select
        message_id,
        ticket_id,
        nullif(lower(trim(author_type)), '') as author_type,
        nullif(trim(agent_id), '') as agent_id,
        {{ dbt.safe_cast('is_public', dbt.type_boolean()) }} as is_public,
        {{ voc360.to_utc_timestamp('sent_at') }} as sent_at,
        body,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='message_id') }}

)

select
    message_id,
    ticket_id,
    author_type,
    agent_id,
    is_public,
    sent_at,
    cast(sent_at as date) as sent_date,
    body,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
