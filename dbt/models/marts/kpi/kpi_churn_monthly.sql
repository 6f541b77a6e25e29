-- Churn and renewal as of each month end (as_of_date), computed only from what happened up to that date.
--
-- Purchase churn: the cut-off is as_of_date minus var churn_lookahead_days (90). Customers at risk are the
-- persons with a completed order in the var churn_lookback_days (180) before the cut-off; a customer at risk
-- churned when they have no completed order between the cut-off and as_of_date. Every order used is on or
-- before as_of_date, so a row never changes when later history is loaded.
--
-- Membership: the periods whose renewal deadline (period end + var membership_renewal_grace_days, 30) falls
-- in the month; renewed when a following period was opened on or before the deadline; churned otherwise.
--
-- Rows exist for the month ends the loaded history reaches; is_lookback_complete is false while the 180 days
-- before the cut-off reach back before the first loaded day (customers at risk are then undercounted).
{%- set lookback = var('churn_lookback_days') | int %}
{%- set lookahead = var('churn_lookahead_days') | int %}

with

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where is_completed and person_id is not null

),

membership_periods as (

    select * from {{ ref('int_membership_periods') }}

),

history as (

    select min(date_day) as first_day, max(date_day) as last_day from calendar

),

as_of_dates as (

    select
        months.month_start,
        months.month_end as as_of_date,
        cast({{ dbt.dateadd('day', -lookahead, 'months.month_end') }} as date) as cutoff_date,
        cast({{ dbt.dateadd('day', -(lookahead + lookback), 'months.month_end') }} as date) as lookback_start,
        history.first_day
    from (select distinct month_start, month_end from calendar) as months
    cross join history
    where months.month_end <= history.last_day

),

-- Per as-of date and person: ordered in (lookback_start, cutoff]? ordered in (cutoff, as_of_date]?
purchase_windows as (

    select
        as_of_dates.as_of_date,
        orders.person_id,
        max(case when orders.ordered_date <= as_of_dates.cutoff_date then 1 else 0 end) as was_active,
        max(case when orders.ordered_date > as_of_dates.cutoff_date then 1 else 0 end) as bought_after_cutoff
    from as_of_dates
    inner join orders
        on orders.ordered_date > as_of_dates.lookback_start
        and orders.ordered_date <= as_of_dates.as_of_date
    group by as_of_dates.as_of_date, orders.person_id

),

purchase_churn as (

    select
        as_of_date,
        cast(sum(was_active) as {{ dbt.type_bigint() }}) as customers_at_risk,
        count(case when was_active = 1 and bought_after_cutoff = 0 then 1 end) as customers_churned
    from purchase_windows
    group by as_of_date

),

membership_churn as (

    select
        as_of_dates.as_of_date,
        count(*) as memberships_due,
        count(case when membership_periods.is_renewed then 1 end) as memberships_renewed
    from as_of_dates
    inner join membership_periods
        on membership_periods.renewal_deadline >= as_of_dates.month_start
        and membership_periods.renewal_deadline <= as_of_dates.as_of_date
    group by as_of_dates.as_of_date

)

select
    as_of_dates.as_of_date,
    as_of_dates.month_start,
    as_of_dates.cutoff_date,
    as_of_dates.lookback_start,
    as_of_dates.lookback_start >= cast({{ dbt.dateadd('day', -1, 'as_of_dates.first_day') }} as date) as is_lookback_complete,
    coalesce(purchase_churn.customers_at_risk, 0) as customers_at_risk,
    coalesce(purchase_churn.customers_churned, 0) as customers_churned,
    coalesce(purchase_churn.customers_at_risk, 0) - coalesce(purchase_churn.customers_churned, 0) as customers_retained,
    {{ voc360.safe_divide('purchase_churn.customers_churned', 'purchase_churn.customers_at_risk') }} as churn_rate,
    coalesce(membership_churn.memberships_due, 0) as memberships_due,
    coalesce(membership_churn.memberships_renewed, 0) as memberships_renewed,
    {{ voc360.safe_divide('membership_churn.memberships_renewed', 'membership_churn.memberships_due') }}
        as membership_renewal_rate,
    {{ voc360.safe_divide('membership_churn.memberships_due - membership_churn.memberships_renewed',
        'membership_churn.memberships_due') }} as membership_churn_rate
from as_of_dates
left join purchase_churn
    on as_of_dates.as_of_date = purchase_churn.as_of_date
left join membership_churn
    on as_of_dates.as_of_date = membership_churn.as_of_date
