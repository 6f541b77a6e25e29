-- Per topic: churn of the customers who had raised it (written at least one text on it) before the cut-off,
-- against the customers active before the cut-off who had not. The cut-off is var topic_churn_window_days
-- before the end of the loaded history; churned = no touch at all (orders, browsing, app, service, surveys,
-- reviews, social) from the cut-off to the end: the customer stopped buying and interacting. Only texts
-- written before the cut-off count, so the outcome cannot cause the exposure. Every customer counts once.
-- Customers who contacted customer service churn more whatever they wrote (a ticket follows a bad
-- experience), and most texts are written in tickets, so a crude ratio flags even "thanks for the help" as
-- a churn signal. The lift is therefore the Mantel-Haenszel risk ratio over two strata (contacted service
-- before the cut-off or not), with the Greenland-Robins variance of its log for the 95% interval; the crude
-- ratio is kept beside it. NULL when no churner falls in either group. A topic is flagged high-risk only when
-- at least var topic_risk_min_customers raised it: with dozens of topics tested, a 95% interval clears 1 by
-- chance for some topic of a handful of customers.
{%- set window = var('topic_churn_window_days') %}

with

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

interactions as (

    select * from {{ ref('int_interactions') }}
    where person_id is not null
        and source not in ('crm_customers', 'memberships', 'account_bindings')

),

texts as (

    select * from {{ source('ml', 'text_insights') }}
    where person_id is not null

),

topics as (

    select topic_id, label from {{ source('ml', 'topics') }}
    where not retired and topic_id >= 0

),

cutoff as (

    select cast({{ dbt.dateadd('day', 1 - window, 'max(date_day)') }} as {{ dbt.type_timestamp() }}) as cutoff_at
    from calendar

),

population as (

    select
        interactions.person_id,
        max(case when interactions.occurred_at >= cutoff.cutoff_at then 0 else 1 end) as active_before,
        min(case when interactions.occurred_at >= cutoff.cutoff_at then 0 else 1 end) as churned,
        max(case when interactions.occurred_at < cutoff.cutoff_at
            and interactions.source in ('tickets', 'ticket_messages', 'ticket_status_changes') then 1 else 0 end
        ) as contacted_service
    from interactions
    cross join cutoff
    group by interactions.person_id

),

raised as (

    select distinct texts.topic_id, texts.person_id
    from texts
    cross join cutoff
    where texts.created_at < cutoff.cutoff_at

),

flags as (

    select
        topics.topic_id,
        topics.label,
        population.person_id,
        population.churned,
        population.contacted_service,
        case when raised.person_id is not null then 1 else 0 end as is_raised
    from topics
    cross join population
    left join raised
        on raised.topic_id = topics.topic_id
        and raised.person_id = population.person_id
    where population.active_before = 1

),

strata as (

    select
        topic_id,
        contacted_service,
        max(label) as topic_label,
        sum(is_raised) as raised,
        sum(is_raised * churned) as churned_raised,
        sum(1 - is_raised) as not_raised,
        sum((1 - is_raised) * churned) as churned_not_raised,
        count(*) as customers
    from flags
    group by topic_id, contacted_service

),

counts as (

    select
        topic_id,
        max(topic_label) as topic_label,
        sum(raised) as customers_raised,
        sum(churned_raised) as churned_raised,
        sum(not_raised) as customers_not_raised,
        sum(churned_not_raised) as churned_not_raised,
        sum(1.0 * churned_raised * not_raised / customers) as mh_numerator,
        sum(1.0 * churned_not_raised * raised / customers) as mh_denominator,
        sum((1.0 * raised * not_raised * (churned_raised + churned_not_raised)
            - 1.0 * churned_raised * churned_not_raised * customers) / (1.0 * customers * customers)) as gr_variance
    from strata
    group by topic_id

),

rates as (

    select
        *,
        {{ voc360.safe_divide('churned_raised', 'customers_raised') }} as churn_rate_raised,
        {{ voc360.safe_divide('churned_not_raised', 'customers_not_raised') }} as churn_rate_not_raised,
        case when mh_numerator > 0 and mh_denominator > 0 then mh_numerator / mh_denominator end as mh_lift,
        case when mh_numerator > 0 and mh_denominator > 0
            then sqrt(gr_variance / (mh_numerator * mh_denominator)) end as log_lift_se
    from counts

)

select
    cast(rates.topic_id as {{ dbt.type_bigint() }}) as topic_id,
    cast(rates.topic_label as {{ dbt.type_string() }}) as topic_label,
    cast(cutoff.cutoff_at as {{ voc360.type_date() }}) as cutoff_date,
    cast(customers_raised as {{ dbt.type_bigint() }}) as customers_raised,
    cast(churned_raised as {{ dbt.type_bigint() }}) as churned_raised,
    cast(customers_not_raised as {{ dbt.type_bigint() }}) as customers_not_raised,
    cast(churned_not_raised as {{ dbt.type_bigint() }}) as churned_not_raised,
    cast(churn_rate_raised as {{ voc360.type_double() }}) as churn_rate_raised,
    cast(churn_rate_not_raised as {{ voc360.type_double() }}) as churn_rate_not_raised,
    cast({{ voc360.safe_divide('churn_rate_raised', 'churn_rate_not_raised') }} as {{ voc360.type_double() }})
        as crude_lift,
    cast(mh_lift as {{ voc360.type_double() }}) as lift,
    cast(exp(ln(mh_lift) - 1.96 * log_lift_se) as {{ voc360.type_double() }}) as lift_ci_low,
    cast(exp(ln(mh_lift) + 1.96 * log_lift_se) as {{ voc360.type_double() }}) as lift_ci_high,
    coalesce(
        exp(ln(mh_lift) - 1.96 * log_lift_se) > 1 and customers_raised >= {{ var('topic_risk_min_customers') }}, false
    ) as is_high_risk
from rates
cross join cutoff
