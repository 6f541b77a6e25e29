-- Olist orders for fct_orders (order_source 'olist', sales channel web: Olist is an online marketplace).
-- Value: the payments of the order, else its items with freight; an order with neither in the export has no
-- known value and stays out of fct_orders (it is still a touch in int_interactions). Status: canceled and
-- unavailable orders are cancelled; every other status is a placed, paid order and counts as completed.
with

orders as (

    select * from {{ ref('stg_olist__orders') }}

),

customers as (

    select * from {{ ref('stg_olist__customers') }}

),

items as (

    select order_id, sum(price) as price, sum(coalesce(freight_value, 0)) as freight, count(*) as item_count
    from {{ ref('stg_olist__order_items') }}
    group by order_id

),

payments as (

    select order_id, sum(payment_value) as paid
    from {{ ref('stg_olist__order_payments') }}
    group by order_id

)

select
    'olist' as order_source,
    orders.order_id,
    'web' as channel,
    {{ voc360.mapped_person_id("'olist_customer'", 'customers.customer_unique_id') }} as person_id,
    orders.customer_id,
    cast(null as {{ dbt.type_string() }}) as store_id,
    orders.purchased_at as ordered_at,
    case when orders.order_status in ('canceled', 'unavailable') then 'cancelled' else 'completed' end as status,
    'BRL' as currency,
    coalesce(items.price + items.freight, payments.paid) as gross_amount,
    cast(0 as {{ voc360.type_double() }}) as discount_amount,
    coalesce(items.freight, 0) as shipping_amount,
    coalesce(payments.paid, items.price + items.freight) as net_amount,
    false as is_gift,
    cast(null as {{ dbt.type_string() }}) as coupon_code,
    cast(items.item_count as {{ dbt.type_int() }}) as item_count
from orders
left join customers
    on orders.customer_id = customers.customer_id
left join items
    on orders.order_id = items.order_id
left join payments
    on orders.order_id = payments.order_id
where coalesce(payments.paid, items.price) is not null
