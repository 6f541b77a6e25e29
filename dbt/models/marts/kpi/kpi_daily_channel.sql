-- Commerce KPIs per UTC day and sales channel (web, app, mini_program, store) plus channel "all" (every
-- channel together: distinct customers are counted once, so "all" is not the sum of the channel rows).
-- Definitions (DESIGN.md, DECISIONLOG.md): orders and net revenue count completed orders only (cancelled,
-- refunded and returned excluded); AOV = net revenue / orders; money in the reporting currency. NPS is
-- attributed to the sales channel of the order the survey asks about; responses without an order count in
-- "all" only.
with

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

nps_responses as (

    select * from {{ ref('stg_surveys__responses') }}
    where survey_type = 'nps'

),

order_rows as (

    select *, channel as report_channel from orders
    union all
    select *, 'all' as report_channel from orders

),

order_kpis as (

    select
        ordered_date as date_day,
        report_channel as channel,
        {{ voc360.order_aggregates() }},
        count(case when is_first_order then 1 end) as new_customers,
        count(case when is_completed and is_gift then 1 end) as gift_orders,
        count(case when status = 'cancelled' then 1 end) as cancelled_orders,
        count(case when status = 'refunded' then 1 end) as refunded_orders,
        count(case when status = 'returned' then 1 end) as store_returns,
        coalesce(sum(case
            when status = 'refunded' then net_amount_reporting
            when status = 'returned' then -net_amount_reporting
        end), 0) as refunded_amount
    from order_rows
    group by ordered_date, report_channel

),

nps_rows as (

    select
        nps_responses.responded_date,
        orders.channel as report_channel,
        nps_responses.score
    from nps_responses
    inner join orders
        on orders.order_source = 'shop' and nps_responses.order_id = orders.order_id

    union all

    select responded_date, 'all', score from nps_responses

),

nps_kpis as (

    select
        responded_date as date_day,
        report_channel as channel,
        {{ voc360.nps_aggregates('score') }}
    from nps_rows
    group by responded_date, report_channel

),

channels as (

    select report_channel as channel from order_rows
    union
    select report_channel from nps_rows

),

grid as (

    select calendar.date_day, calendar.month_start, channels.channel
    from calendar
    cross join channels

)

select
    grid.date_day,
    grid.month_start,
    grid.channel,
    coalesce(order_kpis.orders, 0) as orders,
    coalesce(order_kpis.net_revenue, 0) as net_revenue,
    order_kpis.aov,
    '{{ var("reporting_currency") }}' as reporting_currency,
    coalesce(order_kpis.ordering_customers, 0) as ordering_customers,
    coalesce(order_kpis.new_customers, 0) as new_customers,
    coalesce(order_kpis.gift_orders, 0) as gift_orders,
    coalesce(order_kpis.cancelled_orders, 0) as cancelled_orders,
    coalesce(order_kpis.refunded_orders, 0) as refunded_orders,
    coalesce(order_kpis.store_returns, 0) as store_returns,
    coalesce(order_kpis.refunded_amount, 0) as refunded_amount,
    coalesce(nps_kpis.nps_responses, 0) as nps_responses,
    coalesce(nps_kpis.nps_promoters, 0) as nps_promoters,
    coalesce(nps_kpis.nps_passives, 0) as nps_passives,
    coalesce(nps_kpis.nps_detractors, 0) as nps_detractors,
    nps_kpis.nps
from grid
left join order_kpis
    on grid.date_day = order_kpis.date_day
    and grid.channel = order_kpis.channel
left join nps_kpis
    on grid.date_day = nps_kpis.date_day
    and grid.channel = nps_kpis.channel
