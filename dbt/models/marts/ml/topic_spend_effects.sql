-- Per topic: average order value and gift-order share of the buyers who wrote about it (any time in the
-- history) against the buyers who did not, over completed orders (reporting currency). Descriptive, not
-- causal: a topic and spending can share a cause (gift buyers praise gift packaging).
with

orders as (

    select * from {{ ref('fct_orders') }}
    where is_completed and person_id is not null

),

texts as (

    select * from {{ source('ml', 'text_insights') }}
    where person_id is not null and topic_id >= 0

),

topics as (

    select topic_id, label from {{ source('ml', 'topics') }}
    where not retired and topic_id >= 0

),

buyers as (

    select
        person_id,
        count(*) as orders,
        sum(net_amount_reporting) as revenue,
        sum(case when is_gift then 1 else 0 end) as gift_orders
    from orders
    group by person_id

),

raised as (

    select distinct topic_id, person_id from texts

),

flags as (

    select
        topics.topic_id,
        topics.label,
        buyers.*,
        case when raised.person_id is not null then 1 else 0 end as is_raised
    from topics
    cross join buyers
    left join raised
        on raised.topic_id = topics.topic_id
        and raised.person_id = buyers.person_id

),

summary as (

    select
        topic_id,
        max(label) as topic_label,
        sum(is_raised) as buyers_raised,
        sum(1 - is_raised) as buyers_not_raised,
        sum(is_raised * orders) as orders_raised,
        sum((1 - is_raised) * orders) as orders_not_raised,
        sum(is_raised * revenue) as revenue_raised,
        sum((1 - is_raised) * revenue) as revenue_not_raised,
        sum(is_raised * gift_orders) as gift_orders_raised,
        sum((1 - is_raised) * gift_orders) as gift_orders_not_raised
    from flags
    group by topic_id

)

select
    cast(topic_id as {{ dbt.type_bigint() }}) as topic_id,
    cast(topic_label as {{ dbt.type_string() }}) as topic_label,
    cast(buyers_raised as {{ dbt.type_bigint() }}) as buyers_raised,
    cast(buyers_not_raised as {{ dbt.type_bigint() }}) as buyers_not_raised,
    cast(orders_raised as {{ dbt.type_bigint() }}) as orders_raised,
    cast(orders_not_raised as {{ dbt.type_bigint() }}) as orders_not_raised,
    cast({{ voc360.safe_divide('revenue_raised', 'orders_raised') }} as {{ voc360.type_double() }}) as aov_raised,
    cast({{ voc360.safe_divide('revenue_not_raised', 'orders_not_raised') }} as {{ voc360.type_double() }})
        as aov_not_raised,
    cast({{ voc360.safe_divide(voc360.safe_divide('revenue_raised', 'orders_raised'),
                               voc360.safe_divide('revenue_not_raised', 'orders_not_raised')) }}
        as {{ voc360.type_double() }}) as aov_ratio,
    cast({{ voc360.safe_divide('gift_orders_raised', 'orders_raised') }} as {{ voc360.type_double() }})
        as gift_share_raised,
    cast({{ voc360.safe_divide('gift_orders_not_raised', 'orders_not_raised') }} as {{ voc360.type_double() }})
        as gift_share_not_raised,
    '{{ var("reporting_currency") }}' as reporting_currency
from summary
