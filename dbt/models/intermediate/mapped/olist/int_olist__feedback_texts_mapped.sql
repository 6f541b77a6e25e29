-- Olist review texts for int_feedback_texts (Portuguese): title and comment as one text, the score as its
-- weak sentiment label.
with

reviews as (

    select * from {{ ref('stg_olist__order_reviews') }}

),

persons as (

    select
        orders.order_id,
        {{ voc360.mapped_person_id("'olist_customer'", 'customers.customer_unique_id') }} as person_id
    from {{ ref('stg_olist__orders') }} as orders
    left join {{ ref('stg_olist__customers') }} as customers
        on orders.customer_id = customers.customer_id

)

select
    'olist_order_reviews:' || reviews.review_id || '/' || reviews.order_id || ':review_comment' as text_id,
    'olist_order_reviews' as source,
    reviews.review_id || '/' || reviews.order_id as source_record_key,
    persons.person_id,
    'reviews' as channel,
    reviews.created_at,
    case
        when reviews.review_title is null then reviews.review_comment
        when reviews.review_comment is null then reviews.review_title
        else reviews.review_title || '. ' || reviews.review_comment
    end as text,
    reviews.review_score as review_rating,
    cast(null as {{ dbt.type_int() }}) as nps_score,
    cast(null as {{ dbt.type_int() }}) as csat_score
from reviews
left join persons
    on reviews.order_id = persons.order_id
where coalesce(reviews.review_title, reviews.review_comment) is not null
