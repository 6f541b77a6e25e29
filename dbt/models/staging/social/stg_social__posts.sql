-- Public social posts and comments, one row per post_id (the first version landed). The author's
-- display name is personal data and is kept only as a hashed name key; the handle is public and is
-- normalised (lower case, no "@") so that it joins to account bindings. Post text and bio stay as
-- written: they are masked in a later layer.
with source as (

    select * from {{ source('raw', 'social_posts') }}

),

typed as (

    select
        post_id,
        nullif(lower(trim(platform)), '') as platform,
        {{ voc360.normalise_handle('handle') }} as handle,
        {{ voc360.name_key('author_display_name') }} as author_name_key,
        author_bio,
        {{ dbt.safe_cast('is_brand_account', dbt.type_boolean()) }} as is_brand_account,
        {{ voc360.to_utc_timestamp('posted_at') }} as posted_at,
        text as post_text,
        nullif(lower(trim(language)), '') as language,
        {{ dbt.safe_cast('like_count', dbt.type_int()) }} as like_count,
        {{ dbt.safe_cast('share_count', dbt.type_int()) }} as share_count,
        nullif(trim(reply_to_post_id), '') as reply_to_post_id,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by='post_id') }}

)

select
    post_id,
    platform,
    handle,
    author_name_key,
    author_bio,
    is_brand_account,
    posted_at,
    cast(posted_at as date) as posted_date,
    post_text,
    language,
    like_count,
    share_count,
    reply_to_post_id,
    reply_to_post_id is not null as is_reply,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
