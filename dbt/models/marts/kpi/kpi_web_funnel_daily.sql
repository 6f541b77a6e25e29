-- The web funnel per UTC day and device type (desktop, mobile, tablet, plus "all"), counted in sessions
-- (int_web_sessions); a session counts on the day of its first event, with the device of its first event.
--   sessions_with_product_view       at least one product view
--   sessions_with_cart               an add-to-cart at or after the session's first product view
--   sessions_with_purchase           a purchase at or after the session's first such add-to-cart
--   sessions_long_dwell_no_purchase  a product view of at least var web_long_dwell_seconds (120) and no
--                                    purchase in the session: interest that did not convert
-- Rates are shares of the previous step (view -> cart -> purchase) and of sessions with a product view.
{%- set long_dwell = var('web_long_dwell_seconds') %}

with

sessions as (

    select * from {{ ref('int_web_sessions') }}

),

calendar as (

    select * from {{ ref('int_calendar_days') }}

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
        count(case when longest_product_view_seconds >= {{ long_dwell }} and has_any_purchase = 0 then 1 end)
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
