-- One row per person and tag that applies to them, with a short reason, the owning team, and the date the
-- tag describes. Tags are declared in config/customer_tags.yml (name, description, owner, rule, reason);
-- this model turns each declaration into one select over the tag features and unions them. The features
-- are every column of customer_360 plus the few below, which customer_360 does not carry (the YAML file
-- documents them); all as of customer_360.as_of_date.
{%- set tags = voc360.customer_tags() %}

with

customers as (

    select * from {{ ref('customer_360') }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where is_completed and person_id is not null

),

interactions as (

    select * from {{ ref('int_interactions') }}
    where person_id is not null

),

tickets as (

    select * from {{ ref('int_tickets_measured') }}
    where person_id is not null

),

order_features as (

    select
        person_id,
        count(distinct channel) as order_channels,
        count(case when order_source = 'shop' then 1 end) as online_orders,
        count(case when channel = 'mini_program' then 1 end) as mini_program_orders,
        count(case when order_source = 'pos' then 1 end) as store_orders,
        count(case when order_source = 'shop' and coupon_code is not null then 1 end) as coupon_orders,
        {{ voc360.safe_divide(
            "sum(case when order_source = 'shop' then coalesce(discount_amount, 0) end)",
            "sum(case when order_source = 'shop' then gross_amount end)"
        ) }} as discount_share
    from orders
    group by person_id

),

touch_features as (

    select
        person_id,
        count(case when source = 'web_events' and kind = 'add_to_cart' then 1 end) as web_cart_adds,
        count(case when kind = 'csat_response' and score <= 2 then 1 end) as low_csat_ratings,
        count(case when source = 'reviews' and score <= 2 then 1 end) as low_rating_reviews,
        count(case when kind = 'membership_renew' then 1 end) as membership_renewals
    from interactions
    group by person_id

),

ticket_features as (

    select person_id, count(case when is_reopened then 1 end) as tickets_reopened
    from tickets
    group by person_id

),

buyer_percentiles as (

    select
        person_id,
        percent_rank() over (order by net_revenue) as net_revenue_percentile,
        percent_rank() over (order by aov) as aov_percentile
    from customers
    where completed_orders > 0

),

features as (

    select
        customers.*,
        buyer_percentiles.net_revenue_percentile,
        buyer_percentiles.aov_percentile,
        coalesce(order_features.order_channels, 0) as order_channels,
        coalesce(order_features.online_orders, 0) as online_orders,
        coalesce(order_features.mini_program_orders, 0) as mini_program_orders,
        coalesce(order_features.store_orders, 0) as store_orders,
        coalesce(order_features.coupon_orders, 0) as coupon_orders,
        order_features.discount_share,
        coalesce(touch_features.web_cart_adds, 0) as web_cart_adds,
        coalesce(ticket_features.tickets_reopened, 0) as tickets_reopened,
        coalesce(touch_features.low_csat_ratings, 0) as low_csat_ratings,
        coalesce(touch_features.low_rating_reviews, 0) as low_rating_reviews,
        coalesce(touch_features.membership_renewals, 0) as membership_renewals,
        {{ dbt.datediff('customers.first_order_at', 'customers.as_of_date', 'day') }} as days_since_first_order,
        {{ dbt.datediff('customers.last_ticket_at', 'customers.as_of_date', 'day') }} as days_since_last_ticket,
        {{ dbt.datediff('customers.last_app_at', 'customers.as_of_date', 'day') }} as days_since_last_app,
        {{ dbt.datediff('customers.signup_at', 'customers.as_of_date', 'day') }} as days_since_signup
    from customers
    left join buyer_percentiles
        on customers.person_id = buyer_percentiles.person_id
    left join order_features
        on customers.person_id = order_features.person_id
    left join touch_features
        on customers.person_id = touch_features.person_id
    left join ticket_features
        on customers.person_id = ticket_features.person_id

),

tagged as (

    {%- for tag in tags %}
    -- {{ tag['name'] }}: {{ tag['description'] | replace('\n', ' ') }}
    select
        person_id,
        {{ voc360.sql_string(tag['name']) }} as tag,
        {{ tag['reason'] }} as reason,
        {{ voc360.sql_string(tag['owner']) }} as owner,
        as_of_date
    -- not "where (rule)": Spark reads "features where (...)" as an alias with column names
    from features
    where coalesce({{ tag['rule'] }}, false)
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    -- at parse time (or with no tag declared) the model is empty but typed
    select
        person_id,
        cast(null as {{ dbt.type_string() }}) as tag,
        cast(null as {{ dbt.type_string() }}) as reason,
        cast(null as {{ dbt.type_string() }}) as owner,
        as_of_date
    from features
    where 1 = 0
    {%- endfor %}

)

select
    cast(person_id as {{ dbt.type_string() }}) as person_id,
    cast(tag as {{ dbt.type_string() }}) as tag,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(owner as {{ dbt.type_string() }}) as owner,
    cast(as_of_date as {{ voc360.type_date() }}) as as_of_date
from tagged
