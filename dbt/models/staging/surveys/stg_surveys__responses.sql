-- Survey responses (NPS 0-10, CSAT 1-5), one row per response_id (the first version landed). Verbatims
-- stay as written: they are masked in a later layer.
with source as (

    select * from {{ source('raw', 'surveys') }}

),

typed as (

    select
        response_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(lower(trim(survey_type)), '') as survey_type,
        {{ dbt.safe_cast('score', dbt.type_int()) }} as score,
        verbatim,
        nullif(lower(trim(channel)), '') as channel,
        nullif(trim(ticket_id), '') as ticket_id,
        nullif(trim(order_id), '') as order_id,
        {{ voc360.to_utc_timestamp('responded_at') }} as responded_at,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='response_id') }}

)

select
    response_id,
    customer_id,
    survey_type,
    score,
    verbatim,
    channel,
    ticket_id,
    order_id,
    responded_at,
    cast(responded_at as date) as responded_date,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
