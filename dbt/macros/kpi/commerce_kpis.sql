{#
    The commerce KPI mart at a grain ('day': kpi_daily_channel, 'month': kpi_monthly): one row per period
    and sales channel (web, app, mini_program, store) plus channel "all" (every channel together: distinct
    customers are counted once, so "all" is not the sum of the channel rows).

    Orders and net revenue count completed orders only (cancelled, refunded and returned excluded); AOV = net
    revenue / orders; money in the reporting currency. NPS is attributed to the sales channel of the order
    the survey asks about; responses without an order count in "all" only. Each measure falls in the period
    of its own event (order, response, touch).

    The monthly grain adds the measures defined per month (DESIGN.md): active_customers (persons with a
    completed order in the month, in that channel), purchase_frequency (completed orders per active
    customer) and engaged_customers (persons with any touch in the month, in that channel; for "all", on any
    channel, service, surveys, reviews and social included). The daily grain names the ordering persons
    ordering_customers instead.
#}
{% macro commerce_kpis(grain) -%}
{%- set key = voc360.kpi_period_key(grain) -%}
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

{% if grain == 'month' -%}
interactions as (

    select * from {{ ref('int_interactions') }}
    where person_id is not null

),

{% endif -%}
periods as (

    {{ voc360.kpi_periods('calendar', grain) }}

),

order_rows as (

    select *, channel as report_channel from orders
    union all
    select *, 'all' as report_channel from orders

),

order_kpis as (

    select
        {{ voc360.kpi_period('ordered_date', grain) }} as {{ key }},
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
    group by {{ voc360.kpi_period('ordered_date', grain) }}, report_channel

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
        {{ voc360.kpi_period('responded_date', grain) }} as {{ key }},
        report_channel as channel,
        {{ voc360.nps_aggregates('score') }}
    from nps_rows
    group by {{ voc360.kpi_period('responded_date', grain) }}, report_channel

),

{% if grain == 'month' -%}
-- Each person once per month and channel; "all" counts them once per month across channels. (Deduplicating
-- first reads the interactions once, instead of twice through a union for "all".)
engaged_persons as (

    select distinct
        {{ voc360.kpi_period('occurred_date', grain) }} as {{ key }},
        channel,
        person_id
    from interactions

),

engagement as (

    select {{ key }}, channel, count(*) as engaged_customers
    from engaged_persons
    group by {{ key }}, channel

    union all

    select {{ key }}, 'all', count(distinct person_id)
    from engaged_persons
    group by {{ key }}

),

{% endif -%}
channels as (

    select report_channel as channel from order_rows
    union
    select report_channel from nps_rows

),

grid as (

    select periods.*, channels.channel
    from periods
    cross join channels

)

select
    {{ voc360.kpi_period_columns('grid', grain) }},
    grid.channel,
    coalesce(order_kpis.orders, 0) as orders,
    coalesce(order_kpis.net_revenue, 0) as net_revenue,
    order_kpis.aov,
    '{{ var("reporting_currency") }}' as reporting_currency,
    {% if grain == 'month' -%}
    coalesce(order_kpis.ordering_customers, 0) as active_customers,
    {{ voc360.safe_divide('coalesce(order_kpis.orders, 0)', 'order_kpis.ordering_customers') }} as purchase_frequency,
    coalesce(order_kpis.new_customers, 0) as new_customers,
    coalesce(engagement.engaged_customers, 0) as engaged_customers,
    {%- else -%}
    coalesce(order_kpis.ordering_customers, 0) as ordering_customers,
    coalesce(order_kpis.new_customers, 0) as new_customers,
    {%- endif %}
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
    on grid.{{ key }} = order_kpis.{{ key }}
    and grid.channel = order_kpis.channel
left join nps_kpis
    on grid.{{ key }} = nps_kpis.{{ key }}
    and grid.channel = nps_kpis.channel
{% if grain == 'month' -%}
left join engagement
    on grid.{{ key }} = engagement.{{ key }}
    and grid.channel = engagement.channel
{% endif -%}
{%- endmacro %}
