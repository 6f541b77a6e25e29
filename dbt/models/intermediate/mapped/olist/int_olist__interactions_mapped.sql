-- Olist touches for int_interactions: every order (amount when known) and every review with its score.
with

orders as (

    select * from {{ ref('stg_olist__orders') }}

),

customers as (

    select * from {{ ref('stg_olist__customers') }}

),

reviews as (

    select * from {{ ref('stg_olist__order_reviews') }}

),

order_values as (

    select * from {{ ref('int_olist__orders_mapped') }}

),

persons as (

    select
        orders.order_id,
        {{ voc360.mapped_person_id("'olist_customer'", 'customers.customer_unique_id') }} as person_id
    from orders
    left join customers
        on orders.customer_id = customers.customer_id

)

select
    'olist_orders' as source,
    orders.order_id as source_record_key,
    persons.person_id,
    orders.purchased_at as occurred_at,
    'web' as channel,
    'order' as kind,
    order_values.net_amount as amount,
    'BRL' as currency,
    cast(null as {{ dbt.type_int() }}) as score,
    cast(null as {{ dbt.type_string() }}) as text_id
from orders
inner join persons
    on orders.order_id = persons.order_id
left join order_values
    on orders.order_id = order_values.order_id

union all

select
    'olist_order_reviews',
    reviews.review_id || '/' || reviews.order_id,
    persons.person_id,
    reviews.created_at,
    'reviews',
    'review',
    cast(null as {{ voc360.type_double() }}),
    cast(null as {{ dbt.type_string() }}),
    reviews.review_score,
    case
        when coalesce(reviews.review_title, reviews.review_comment) is not null
            then 'olist_order_reviews:' || reviews.review_id || '/' || reviews.order_id || ':review_comment'
    end
from reviews
left join persons
    on reviews.order_id = persons.order_id
