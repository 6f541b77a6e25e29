-- Paid membership events (join, renew, cancel), one row per membership_event_id (the first version
-- landed).
with source as (

    select * from {{ source('raw', 'memberships') }}

),

typed as (

    select
        membership_event_id,
        customer_id,
        nullif(lower(trim(plan)), '') as plan,
        nullif(lower(trim(event_type)), '') as event_type,
        {{ dbt.safe_cast('period_start', voc360.type_date()) }} as period_start,
        {{ dbt.safe_cast('period_end', voc360.type_date()) }} as period_end,
        {{ dbt.safe_cast('amount', voc360.type_double()) }} as amount,
        {{ voc360.to_utc_timestamp('occurred_at') }} as occurred_at,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='membership_event_id') }}

)

select
    membership_event_id,
    customer_id,
    plan,
    event_type,
    period_start,
    period_end,
    amount,
    occurred_at,
    cast(occurred_at as date) as occurred_date,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
