-- Per topic: churn of the customers who had raised it (written at least one text on it) before the cut-off,
-- against the customers active before the cut-off who had not. The cut-off is var topic_churn_window_days
-- before the end of the loaded history; churned = no touch at all (orders, browsing, app, service, surveys,
-- reviews, social) from the cut-off to the end: the customer stopped buying and interacting. Only texts
-- written before the cut-off count, so the outcome cannot cause the exposure. Lift = ratio of the two
-- rates, with a 95% confidence interval from the normal approximation of the log risk ratio
-- (se = sqrt(1/a - 1/n1 + 1/c - 1/n0)); NULL when either group has no churner. Every customer counts once.
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
        min(case when interactions.occurred_at >= cutoff.cutoff_at then 0 else 1 end) as churned
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
        case when raised.person_id is not null then 1 else 0 end as is_raised
    from topics
    cross join population
    left join raised
        on raised.topic_id = topics.topic_id
        and raised.person_id = population.person_id
    where population.active_before = 1

),

counts as (

    select
        topic_id,
        max(label) as topic_label,
        sum(is_raised) as customers_raised,
        sum(is_raised * churned) as churned_raised,
        sum(1 - is_raised) as customers_not_raised,
        sum((1 - is_raised) * churned) as churned_not_raised
    from flags
    group by topic_id

),

rates as (

    select
        *,
        {{ voc360.safe_divide('churned_raised', 'customers_raised') }} as churn_rate_raised,
        {{ voc360.safe_divide('churned_not_raised', 'customers_not_raised') }} as churn_rate_not_raised,
        case when churned_raised > 0 and churned_not_raised > 0 then
            sqrt(1.0 / churned_raised - 1.0 / customers_raised + 1.0 / churned_not_raised - 1.0 / customers_not_raised)
        end as log_lift_se
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
    cast({{ voc360.safe_divide('churn_rate_raised', 'churn_rate_not_raised') }} as {{ voc360.type_double() }}) as lift,
    cast(case when log_lift_se is not null
        then exp(ln(churn_rate_raised / churn_rate_not_raised) - 1.96 * log_lift_se) end
        as {{ voc360.type_double() }}) as lift_ci_low,
    cast(case when log_lift_se is not null
        then exp(ln(churn_rate_raised / churn_rate_not_raised) + 1.96 * log_lift_se) end
        as {{ voc360.type_double() }}) as lift_ci_high,
    coalesce(log_lift_se is not null
        and exp(ln(churn_rate_raised / churn_rate_not_raised) - 1.96 * log_lift_se) > 1, false) as is_high_risk
from rates
cross join cutoff
