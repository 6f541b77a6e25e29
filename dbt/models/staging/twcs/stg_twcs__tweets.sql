-- Tweets of the Twitter customer-support sample, one row per tweet_id (the first version landed). A
-- customer's author id is personal and survives only as a hash; a brand's care account (inbound = false)
-- is public and kept as its handle. The dump writes reply ids as floats ("3.0"): they are read as integers.
with source as (

    select * from {{ source('raw', 'twcs_tweets') }}

),

typed as (

    select
        tweet_id,
        {{ dbt.safe_cast('inbound', dbt.type_boolean()) }} as is_inbound,
        trim(author_id) as author,
        {{ voc360.to_utc_timestamp('created_at') }} as created_at,
        text as tweet_text,
        cast(
            {{ dbt.safe_cast(dbt.safe_cast('in_response_to_tweet_id', voc360.type_double()), dbt.type_bigint()) }}
            as {{ dbt.type_string() }}
        ) as in_response_to_tweet_id,
        nullif(trim(response_tweet_id), '') as response_tweet_ids,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='tweet_id') }}

)

select
    tweet_id,
    is_inbound,
    case when is_inbound then {{ voc360.hash_pii('lower(author)') }} end as customer_author_hash,
    case when not is_inbound then author end as brand_handle,
    created_at,
    cast(created_at as date) as created_date,
    tweet_text,
    in_response_to_tweet_id,
    response_tweet_ids,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
