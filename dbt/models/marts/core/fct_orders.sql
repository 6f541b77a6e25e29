-- One row per order: e-commerce orders (web, app, mini program) and store receipts (channel store), with the
-- person who placed it. Only completed orders count as orders in the KPIs: cancelled and refunded orders
-- and store returns (receipts with a negative total) are kept here for reference, flagged by is_completed.
-- Amounts are in the order's currency and, for totals across currencies, in the reporting currency
-- (var reporting_currency, at the fixed rates of var currency_rates_to_reporting).
with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

receipts as (

    select * from {{ ref('stg_pos__receipts') }}

),

person_map as (

    select * from {{ ref('int_person_map') }}

),

items_per_order as (

    select order_id, sum(quantity) as item_count
    from order_items
    group by order_id

),

unioned as (

    select
        'shop' as order_source,
        orders.order_id,
        orders.channel,
        people.person_id,
        orders.customer_id,
        cast(null as {{ dbt.type_string() }}) as store_id,
        orders.ordered_at,
        orders.status,
        orders.currency,
        orders.gross_amount,
        coalesce(orders.discount_amount, 0) as discount_amount,
        coalesce(orders.shipping_amount, 0) as shipping_amount,
        orders.net_amount,
        coalesce(orders.is_gift, false) as is_gift,
        orders.coupon_code,
        cast(items.item_count as {{ dbt.type_int() }}) as item_count
    from orders
    left join person_map as people
        on people.record_type = 'order' and orders.order_id = people.record_key
    left join items_per_order as items
        on orders.order_id = items.order_id

    union all

    select
        'pos',
        receipts.receipt_id,
        'store',
        people.person_id,
        cast(null as {{ dbt.type_string() }}),
        receipts.store_id,
        receipts.purchased_at,
        case when receipts.total_amount < 0 then 'returned' else 'completed' end,
        {{ voc360.pos_currency('receipts.store_timezone') }},
        receipts.total_amount,
        0,
        0,
        receipts.total_amount,
        false,
        cast(null as {{ dbt.type_string() }}),
        receipts.item_count
    from receipts
    left join person_map as people
        on people.record_type = 'pos_receipt' and receipts.receipt_id = people.record_key

    -- orders of onboarded sources (var entity_mappings)
    {{ voc360.union_mapped('order') }}

),

enriched as (

    select
        *,
        status = 'completed' as is_completed,
        case
            when status = 'completed' and person_id is not null
                then row_number() over (
                    partition by person_id, case when status = 'completed' then 1 else 0 end
                    order by ordered_at, order_source, order_id
                )
        end as person_order_number
    from unioned

)

select
    order_source || ':' || order_id as order_key,
    order_source,
    order_id,
    channel,
    person_id,
    customer_id,
    store_id,
    ordered_at,
    cast(ordered_at as date) as ordered_date,
    cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as ordered_month,
    status,
    is_completed,
    currency,
    gross_amount,
    discount_amount,
    shipping_amount,
    net_amount,
    {{ voc360.to_reporting_currency('net_amount', 'currency') }} as net_amount_reporting,
    is_gift,
    coupon_code,
    item_count,
    person_order_number,
    coalesce(person_order_number = 1, false) as is_first_order
from enriched
