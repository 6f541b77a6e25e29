-- A customer linking (bind) or unlinking (revoke) a social handle in the app, one row per
-- binding_event_id (the first version landed). The handle is normalised like stg_social__posts.handle.
with source as (

    select * from {{ source('raw', 'account_bindings') }}

),

typed as (

    select
        binding_event_id,
        customer_id,
        nullif(lower(trim(platform)), '') as platform,
        {{ voc360.normalise_handle('handle') }} as handle,
        nullif(lower(trim(action)), '') as action,
        {{ dbt.safe_cast('consent', dbt.type_boolean()) }} as has_consent,
        {{ voc360.to_utc_timestamp('occurred_at') }} as occurred_at,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='binding_event_id') }}

)

select
    binding_event_id,
    customer_id,
    platform,
    handle,
    action,
    has_consent,
    occurred_at,
    cast(occurred_at as date) as occurred_date,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
