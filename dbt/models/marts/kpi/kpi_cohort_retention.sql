-- Cohort retention and historical CLV: one row per first-order-month cohort and calendar month since.
-- A person's cohort is the month of their first completed order (any channel) in the loaded history;
-- retention_rate in month k is the share of the cohort with a completed order in that month (k = 0 is the
-- cohort month itself, 1.0 by construction). cumulative_net_revenue_per_customer is the historical CLV
-- curve: net revenue of the cohort from its first month to this one, per cohort customer (reporting
-- currency). The first month of the history mixes new customers with earlier customers whose first order
-- predates the data (is_left_censored).
with

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where is_completed and person_id is not null

),

months as (

    select
        month_start,
        min(date_day) = month_start and max(date_day) = month_end as is_complete_month
    from calendar
    group by month_start, month_end

),

first_month as (

    select min(month_start) as month_start from months

),

cohorts as (

    select person_id, min(ordered_month) as cohort_month
    from orders
    group by person_id

),

cohort_sizes as (

    select cohort_month, count(*) as cohort_customers
    from cohorts
    group by cohort_month

),

monthly_activity as (

    select
        cohorts.cohort_month,
        orders.ordered_month as activity_month,
        count(distinct orders.person_id) as active_customers,
        count(*) as orders,
        sum(orders.net_amount_reporting) as net_revenue
    from orders
    inner join cohorts
        on orders.person_id = cohorts.person_id
    group by cohorts.cohort_month, orders.ordered_month

),

grid as (

    select
        cohort_sizes.cohort_month,
        months.month_start as activity_month,
        months.is_complete_month,
        cohort_sizes.cohort_customers,
        {{ dbt.datediff('cohort_sizes.cohort_month', 'months.month_start', 'month') }} as months_since_first_order
    from cohort_sizes
    inner join months
        on months.month_start >= cohort_sizes.cohort_month

)

select
    grid.cohort_month,
    grid.activity_month,
    grid.months_since_first_order,
    grid.is_complete_month,
    grid.cohort_month = first_month.month_start as is_left_censored,
    grid.cohort_customers,
    coalesce(monthly_activity.active_customers, 0) as active_customers,
    {{ voc360.safe_divide('coalesce(monthly_activity.active_customers, 0)', 'grid.cohort_customers') }} as retention_rate,
    coalesce(monthly_activity.orders, 0) as orders,
    coalesce(monthly_activity.net_revenue, 0) as net_revenue,
    sum(coalesce(monthly_activity.net_revenue, 0)) over (
        partition by grid.cohort_month
        order by grid.activity_month
        rows between unbounded preceding and current row
    ) as cumulative_net_revenue,
    {{ voc360.safe_divide(
        'sum(coalesce(monthly_activity.net_revenue, 0)) over (partition by grid.cohort_month order by grid.activity_month rows between unbounded preceding and current row)',
        'grid.cohort_customers') }} as cumulative_net_revenue_per_customer,
    '{{ var("reporting_currency") }}' as reporting_currency
from grid
cross join first_month
left join monthly_activity
    on grid.cohort_month = monthly_activity.cohort_month
    and grid.activity_month = monthly_activity.activity_month
