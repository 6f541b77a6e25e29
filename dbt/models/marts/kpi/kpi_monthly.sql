-- Commerce and engagement KPIs per calendar month (UTC) and sales channel, plus channel "all". Same order,
-- revenue, AOV and NPS definitions as kpi_daily_channel, and:
--   active_customers    persons with at least one completed order in the month (in that channel)
--   purchase_frequency  completed orders per active customer in the month
--   engaged_customers   persons with any touch in the month (in that channel; for "all", on any channel,
--                       service, surveys, reviews and social included)
-- is_complete_month is false for a month that the loaded history covers only in part.
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

interactions as (

    select * from {{ ref('int_interactions') }}
    where person_id is not null

),

months as (

    select
        month_start,
        month_end,
        min(date_day) as first_day,
        max(date_day) as last_day
    from calendar
    group by month_start, month_end

),

order_rows as (

    select *, channel as report_channel from orders
    union all
    select *, 'all' as report_channel from orders

),

order_kpis as (

    select
        ordered_month as month_start,
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
    group by ordered_month, report_channel

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
        cast({{ dbt.date_trunc('month', 'responded_date') }} as date) as month_start,
        report_channel as channel,
        {{ voc360.nps_aggregates('score') }}
    from nps_rows
    group by cast({{ dbt.date_trunc('month', 'responded_date') }} as date), report_channel

),

engagement_rows as (

    select occurred_date, channel as report_channel, person_id from interactions
    union all
    select occurred_date, 'all', person_id from interactions

),

engagement as (

    select
        cast({{ dbt.date_trunc('month', 'occurred_date') }} as date) as month_start,
        report_channel as channel,
        count(distinct person_id) as engaged_customers
    from engagement_rows
    group by cast({{ dbt.date_trunc('month', 'occurred_date') }} as date), report_channel

),

channels as (

    select report_channel as channel from order_rows
    union
    select report_channel from nps_rows

),

grid as (

    select
        months.month_start,
        months.month_end,
        months.first_day = months.month_start and months.last_day = months.month_end as is_complete_month,
        channels.channel
    from months
    cross join channels

)

select
    grid.month_start,
    grid.month_end,
    grid.is_complete_month,
    grid.channel,
    coalesce(order_kpis.orders, 0) as orders,
    coalesce(order_kpis.net_revenue, 0) as net_revenue,
    order_kpis.aov,
    '{{ var("reporting_currency") }}' as reporting_currency,
    coalesce(order_kpis.ordering_customers, 0) as active_customers,
    {{ voc360.safe_divide('coalesce(order_kpis.orders, 0)', 'order_kpis.ordering_customers') }} as purchase_frequency,
    coalesce(order_kpis.new_customers, 0) as new_customers,
    coalesce(engagement.engaged_customers, 0) as engaged_customers,
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
    on grid.month_start = order_kpis.month_start
    and grid.channel = order_kpis.channel
left join nps_kpis
    on grid.month_start = nps_kpis.month_start
    and grid.channel = nps_kpis.channel
left join engagement
    on grid.month_start = engagement.month_start
    and grid.channel = engagement.channel
