-- The web funnel per UTC day and device type (desktop, mobile, tablet, plus "all"), counted in sessions; a
-- session counts on the day of its first event, with the device of its first event.
--   sessions_with_product_view       at least one product view
--   sessions_with_cart               an add-to-cart at or after the session's first product view
--   sessions_with_purchase           a purchase at or after the session's first such add-to-cart
--   sessions_long_dwell_no_purchase  a product view of at least var web_long_dwell_seconds (120) and no
--                                    purchase in the session: interest that did not convert
-- Rates are shares of the previous step (view -> cart -> purchase) and of sessions with a product view.
{%- set long_dwell = var('web_long_dwell_seconds') %}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

session_events as (

    select
        *,
        min(case when event_type = 'product_view' then occurred_at end) over (partition by session_id) as first_view_at,
        row_number() over (partition by session_id order by occurred_at, event_id) as event_rank
    from web_events

),

carts as (

    select
        session_id,
        min(case when event_type = 'add_to_cart' and occurred_at >= first_view_at then occurred_at end) as first_cart_at
    from session_events
    group by session_id

),

sessions as (

    select
        session_events.session_id,
        min(case when session_events.event_rank = 1 then session_events.occurred_date end) as session_date,
        coalesce(min(case when session_events.event_rank = 1 then session_events.device_type end), 'unknown')
            as device_type,
        max(case when session_events.event_type = 'product_view' then 1 else 0 end) as has_product_view,
        max(case when carts.first_cart_at is not null then 1 else 0 end) as has_cart,
        max(case
            when session_events.event_type = 'purchase' and session_events.occurred_at >= carts.first_cart_at then 1
            else 0
        end) as has_purchase_after_cart,
        max(case when session_events.event_type = 'purchase' then 1 else 0 end) as has_any_purchase,
        max(case
            when session_events.event_type = 'product_view' and session_events.dwell_seconds >= {{ long_dwell }} then 1
            else 0
        end) as has_long_product_view,
        count(*) as events,
        max(case when session_events.login_id is not null then 1 else 0 end) as is_signed_in
    from session_events
    inner join carts
        on session_events.session_id = carts.session_id
    group by session_events.session_id

),

session_rows as (

    select *, device_type as report_device from sessions
    union all
    select *, 'all' as report_device from sessions

),

funnel as (

    select
        session_date as date_day,
        report_device as device_type,
        count(*) as sessions,
        cast(sum(is_signed_in) as {{ dbt.type_bigint() }}) as signed_in_sessions,
        cast(sum(has_product_view) as {{ dbt.type_bigint() }}) as sessions_with_product_view,
        cast(sum(has_cart) as {{ dbt.type_bigint() }}) as sessions_with_cart,
        cast(sum(has_purchase_after_cart) as {{ dbt.type_bigint() }}) as sessions_with_purchase,
        cast(sum(has_any_purchase) as {{ dbt.type_bigint() }}) as sessions_with_any_purchase,
        count(case when has_long_product_view = 1 and has_any_purchase = 0 then 1 end)
            as sessions_long_dwell_no_purchase
    from session_rows
    group by session_date, report_device

),

devices as (

    select distinct report_device as device_type from session_rows

),

grid as (

    select calendar.date_day, calendar.month_start, devices.device_type
    from calendar
    cross join devices

)

select
    grid.date_day,
    grid.month_start,
    grid.device_type,
    coalesce(funnel.sessions, 0) as sessions,
    coalesce(funnel.signed_in_sessions, 0) as signed_in_sessions,
    coalesce(funnel.sessions_with_product_view, 0) as sessions_with_product_view,
    coalesce(funnel.sessions_with_cart, 0) as sessions_with_cart,
    coalesce(funnel.sessions_with_purchase, 0) as sessions_with_purchase,
    coalesce(funnel.sessions_with_any_purchase, 0) as sessions_with_any_purchase,
    coalesce(funnel.sessions_long_dwell_no_purchase, 0) as sessions_long_dwell_no_purchase,
    {{ voc360.safe_divide('funnel.sessions_with_cart', 'funnel.sessions_with_product_view') }} as view_to_cart_rate,
    {{ voc360.safe_divide('funnel.sessions_with_purchase', 'funnel.sessions_with_cart') }} as cart_to_purchase_rate,
    {{ voc360.safe_divide('funnel.sessions_with_purchase', 'funnel.sessions_with_product_view') }} as view_to_purchase_rate,
    {{ voc360.safe_divide('funnel.sessions_long_dwell_no_purchase', 'funnel.sessions_with_product_view') }}
        as long_dwell_no_purchase_rate
from grid
left join funnel
    on grid.date_day = funnel.date_day
    and grid.device_type = funnel.device_type
