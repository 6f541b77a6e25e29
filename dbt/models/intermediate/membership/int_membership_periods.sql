-- One row per paid membership period (customer, period start, period end), from the join and renew events
-- that open periods, with what happened at its end: renewed (a later period of the same customer, opened by
-- an event on or before the renewal deadline, var membership_renewal_grace_days after this period's end)
-- and cancelled (a cancel event during the period). The renewal deadline is when the period's outcome is
-- known, which is what makes the renewal and member churn rates in kpi_churn_monthly computable as of a date.
{%- set grace_days = var('membership_renewal_grace_days') | int %}

with

events as (

    select * from {{ ref('stg_membership__events') }}

),

crm_people as (

    select record_key as customer_id, person_id
    from {{ ref('int_person_map') }}
    where record_type = 'crm_customer'

),

-- A period can be reported by several events (an opening balance and the original join): one row each.
periods as (

    select
        customer_id,
        period_start,
        period_end,
        max(plan) as plan,
        min(occurred_at) as opened_at,
        min(membership_event_id) as opening_event_id,
        min(event_type) as opening_event_type,
        sum(coalesce(amount, 0)) as amount
    from events
    where event_type in ('join', 'renew')
        and period_start is not null
        and period_end is not null
    group by customer_id, period_start, period_end

),

renewals as (

    select
        ending.customer_id,
        ending.period_start,
        ending.period_end,
        min(following.opened_at) as renewed_at
    from periods as ending
    inner join periods as following
        on ending.customer_id = following.customer_id
        and following.period_start > ending.period_start
        and cast(following.opened_at as date) <= cast({{ dbt.dateadd('day', grace_days, 'ending.period_end') }} as date)
    group by ending.customer_id, ending.period_start, ending.period_end

),

cancellations as (

    select
        periods.customer_id,
        periods.period_start,
        periods.period_end,
        min(events.occurred_at) as cancelled_at
    from periods
    inner join events
        on periods.customer_id = events.customer_id
        and events.event_type = 'cancel'
        and cast(events.occurred_at as date) >= periods.period_start
        and cast(events.occurred_at as date) <= periods.period_end
    group by periods.customer_id, periods.period_start, periods.period_end

)

select
    periods.customer_id,
    crm_people.person_id,
    periods.plan,
    periods.period_start,
    periods.period_end,
    cast({{ dbt.dateadd('day', grace_days, 'periods.period_end') }} as date) as renewal_deadline,
    periods.opened_at,
    periods.opening_event_id,
    periods.opening_event_type,
    periods.amount,
    renewals.renewed_at,
    renewals.renewed_at is not null as is_renewed,
    cancellations.cancelled_at,
    cancellations.cancelled_at is not null as is_cancelled
from periods
left join crm_people
    on periods.customer_id = crm_people.customer_id
left join renewals
    on periods.customer_id = renewals.customer_id
    and periods.period_start = renewals.period_start
    and periods.period_end = renewals.period_end
left join cancellations
    on periods.customer_id = cancellations.customer_id
    and periods.period_start = cancellations.period_start
    and periods.period_end = cancellations.period_end
