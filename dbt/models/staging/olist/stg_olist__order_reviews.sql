-- Olist reviews, one row per review_id and order_id (Olist reuses a review id across the orders of one
-- purchase). Title and comment are Portuguese free text, kept as written for masking downstream.
with source as (

    select * from {{ source('raw', 'olist_order_reviews') }}

),

typed as (

    select
        review_id,
        order_id,
        {{ dbt.safe_cast('review_score', dbt.type_int()) }} as review_score,
        nullif(trim(review_comment_title), '') as review_title,
        nullif(trim(review_comment_message), '') as review_comment,
        {{ voc360.to_utc_timestamp('review_creation_date') }} as created_at,
        {{ voc360.to_utc_timestamp('review_answer_timestamp') }} as answered_at,
        _source_file,
        _line_number,
        _partition_date
    from source

),

deduplicated as (

    {{ voc360.dedupe('typed', partition_by=['review_id', 'order_id']) }}

)

select
    review_id,
    order_id,
    review_score,
    review_title,
    review_comment,
    created_at,
    cast(created_at as date) as created_date,
    answered_at,
    _source_file,
    _line_number,
    _partition_date
from deduplicated
