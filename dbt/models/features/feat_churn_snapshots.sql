-- Point-in-time churn snapshots: one row per person x cut-off, features computed only from events strictly
-- before the cut-off, label from the 90 days after it.
--
-- Cut-offs (cutoff_date, the instant 00:00 UTC of that day): every month start after the first loaded day
-- whose 90-day label window ends inside the loaded history (labelled rows), plus the day after the last
-- loaded day (is_scoring_cutoff: features over the whole history, label unknown, the rows the model scores).
-- Persons at risk at a cut-off: at least one completed order in the 180 days before it
-- (churn_lookback_days). churned = no completed order in the 90 days from the cut-off
-- (churn_lookahead_days); NULL when those 90 days are not observed. This is the purchase churn of
-- kpi_churn_monthly with the cut-off at the snapshot date.
--
-- features_max_event_at is the latest event time any feature of the row used; the churn asset refuses rows
-- where it is not before the cut-off (ml.churn.assert_no_future_information). Topic exposure is a long table
-- (feat_topic_exposure), pivoted to one column per topic in Python: topic ids come from a data-driven
-- registry, so a fixed column list in SQL would not survive a refit.
{%- set lookback = var('churn_lookback_days') %}
{%- set horizon = var('churn_lookahead_days') %}
{%- set slow_minutes = var('slow_first_response_minutes') %}
{%- set epoch = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" %}

with

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

orders as (

    select person_id, ordered_at, net_amount_reporting, is_gift
    from {{ ref('fct_orders') }}
    where is_completed and person_id is not null

),

tickets as (

    select * from {{ ref('int_tickets_measured') }}
    where person_id is not null

),

-- read by several parts of the model: inlined into each rather than held (macro inline_cte)
interactions as {{ voc360.inline_cte() }} (

    select * from {{ ref('int_interactions') }}
    where person_id is not null

),

memberships as (

    select * from {{ ref('int_membership_periods') }}
    where person_id is not null

),

texts as (

    select * from {{ source('ml', 'text_insights') }}
    where person_id is not null

),

bounds as (

    select min(date_day) as first_day, max(date_day) as last_day from calendar

),

cutoffs as (

    select distinct
        cast(calendar.month_start as {{ dbt.type_timestamp() }}) as cutoff_at,
        false as is_scoring_cutoff
    from calendar
    cross join bounds
    where calendar.month_start > bounds.first_day
        and {{ dbt.dateadd('day', horizon, 'calendar.month_start') }} <= {{ dbt.dateadd('day', 1, 'bounds.last_day') }}

    union all

    select cast({{ dbt.dateadd('day', 1, 'last_day') }} as {{ dbt.type_timestamp() }}), true
    from bounds

),

at_risk as (

    select distinct cutoffs.cutoff_at, cutoffs.is_scoring_cutoff, orders.person_id
    from cutoffs
    inner join orders
        on orders.ordered_at < cutoffs.cutoff_at
        and orders.ordered_at >= {{ dbt.dateadd('day', -lookback, 'cutoffs.cutoff_at') }}

),

order_features as (

    select
        at_risk.person_id,
        at_risk.cutoff_at,
        count(*) as orders_total,
        sum(orders.net_amount_reporting) as revenue_total,
        sum(case when orders.ordered_at >= {{ dbt.dateadd('day', -90, 'at_risk.cutoff_at') }} then 1 else 0 end)
            as orders_90d,
        sum(case when orders.ordered_at >= {{ dbt.dateadd('day', -lookback, 'at_risk.cutoff_at') }} then 1 else 0 end)
            as orders_180d,
        sum(case
            when orders.ordered_at >= {{ dbt.dateadd('day', -lookback, 'at_risk.cutoff_at') }}
                then orders.net_amount_reporting else 0
        end) as revenue_180d,
        sum(case when orders.is_gift then 1 else 0 end) as gift_orders,
        min(orders.ordered_at) as first_order_at,
        max(orders.ordered_at) as last_order_at
    from at_risk
    inner join orders
        on orders.person_id = at_risk.person_id
        and orders.ordered_at < at_risk.cutoff_at
    group by at_risk.person_id, at_risk.cutoff_at

),

ticket_features as (

    select
        at_risk.person_id,
        at_risk.cutoff_at,
        count(*) as tickets_total,
        sum(case when tickets.created_at >= {{ dbt.dateadd('day', -90, 'at_risk.cutoff_at') }} then 1 else 0 end)
            as tickets_90d,
        -- a reply counts only once it has happened before the cut-off
        median(case when tickets.first_response_at < at_risk.cutoff_at then tickets.first_response_minutes end)
            as median_first_response_minutes,
        sum(case
            when tickets.first_response_at < at_risk.cutoff_at and tickets.first_response_minutes > {{ slow_minutes }}
                then 1
            when (tickets.first_response_at is null or tickets.first_response_at >= at_risk.cutoff_at)
                and tickets.created_at < {{ dbt.dateadd('minute', -slow_minutes, 'at_risk.cutoff_at') }}
                then 1
            else 0
        end) as slow_response_tickets,
        max(tickets.created_at) as last_ticket_at,
        max(case when tickets.first_response_at < at_risk.cutoff_at then tickets.first_response_at end)
            as last_first_response_at
    from at_risk
    inner join tickets
        on tickets.person_id = at_risk.person_id
        and tickets.created_at < at_risk.cutoff_at
    group by at_risk.person_id, at_risk.cutoff_at

),

surveys_ranked as (

    select
        at_risk.person_id,
        at_risk.cutoff_at,
        interactions.kind,
        interactions.score,
        interactions.occurred_at,
        row_number() over (
            partition by at_risk.person_id, at_risk.cutoff_at, interactions.kind
            order by interactions.occurred_at desc, interactions.interaction_id desc
        ) as recency_rank
    from at_risk
    inner join interactions
        on interactions.person_id = at_risk.person_id
        and interactions.occurred_at < at_risk.cutoff_at
        and interactions.kind in ('nps_response', 'csat_response')
        and interactions.score is not null

),

survey_features as (

    select
        person_id,
        cutoff_at,
        max(case when kind = 'nps_response' then score end) as last_nps_score,
        max(case when kind = 'csat_response' then score end) as last_csat_score,
        max(occurred_at) as last_survey_at
    from surveys_ranked
    where recency_rank = 1
    group by person_id, cutoff_at

),

engagement_features as (

    select
        at_risk.person_id,
        at_risk.cutoff_at,
        count(*) as touches_30d,
        max(interactions.occurred_at) as last_touch_at
    from at_risk
    inner join interactions
        on interactions.person_id = at_risk.person_id
        and interactions.occurred_at < at_risk.cutoff_at
        and interactions.occurred_at >= {{ dbt.dateadd('day', -30, 'at_risk.cutoff_at') }}
        and interactions.source <> 'crm_customers'
    group by at_risk.person_id, at_risk.cutoff_at

),

text_features as (

    select
        at_risk.person_id,
        at_risk.cutoff_at,
        count(*) as texts_total,
        sum(case when texts.sentiment = 'negative' then 1 else 0 end) as negative_texts,
        avg(texts.sentiment_score) as mean_sentiment_score,
        max(texts.created_at) as last_text_at
    from at_risk
    inner join texts
        on texts.person_id = at_risk.person_id
        and texts.created_at < at_risk.cutoff_at
    group by at_risk.person_id, at_risk.cutoff_at

),

membership_features as (

    -- only what was known at the cut-off: periods opened and cancellations made before it
    select
        at_risk.person_id,
        at_risk.cutoff_at,
        max(case
            when cast(memberships.period_start as {{ dbt.type_timestamp() }}) <= at_risk.cutoff_at
                and cast(memberships.period_end as {{ dbt.type_timestamp() }}) >= at_risk.cutoff_at
                then 1 else 0
        end) as has_running_period,
        max(case
            when cast(memberships.period_start as {{ dbt.type_timestamp() }}) <= at_risk.cutoff_at
                and cast(memberships.period_end as {{ dbt.type_timestamp() }}) >= at_risk.cutoff_at
                and memberships.cancelled_at < at_risk.cutoff_at
                then 1 else 0
        end) as has_cancelled_period,
        max(greatest(memberships.opened_at, coalesce(
            case when memberships.cancelled_at < at_risk.cutoff_at then memberships.cancelled_at end, {{ epoch }}
        ))) as last_membership_event_at
    from at_risk
    inner join memberships
        on memberships.person_id = at_risk.person_id
        and memberships.opened_at < at_risk.cutoff_at
    group by at_risk.person_id, at_risk.cutoff_at

),

outcomes as (

    select at_risk.person_id, at_risk.cutoff_at, count(*) as orders_next_90d
    from at_risk
    inner join orders
        on orders.person_id = at_risk.person_id
        and orders.ordered_at >= at_risk.cutoff_at
        and orders.ordered_at < {{ dbt.dateadd('day', horizon, 'at_risk.cutoff_at') }}
    group by at_risk.person_id, at_risk.cutoff_at

)

select
    cast(at_risk.person_id as {{ dbt.type_string() }}) as person_id,
    cast(at_risk.cutoff_at as {{ voc360.type_date() }}) as cutoff_date,
    at_risk.is_scoring_cutoff,
    cast({{ dbt.dateadd('day', -lookback, 'at_risk.cutoff_at') }} >= cast(bounds.first_day as {{ dbt.type_timestamp() }})
        as {{ dbt.type_boolean() }}) as is_lookback_complete,
    cast(o.orders_total as {{ dbt.type_int() }}) as orders_total,
    cast(o.orders_90d as {{ dbt.type_int() }}) as orders_90d,
    cast(o.orders_180d as {{ dbt.type_int() }}) as orders_180d,
    cast(o.revenue_total as {{ voc360.type_double() }}) as revenue_total,
    cast(o.revenue_180d as {{ voc360.type_double() }}) as revenue_180d,
    cast({{ voc360.safe_divide('o.revenue_total', 'o.orders_total') }} as {{ voc360.type_double() }}) as aov,
    cast({{ voc360.safe_divide('o.gift_orders', 'o.orders_total') }} as {{ voc360.type_double() }}) as gift_order_share,
    cast({{ dbt.datediff('o.last_order_at', 'at_risk.cutoff_at', 'day') }} as {{ dbt.type_int() }})
        as days_since_last_order,
    cast({{ dbt.datediff('o.first_order_at', 'at_risk.cutoff_at', 'day') }} as {{ dbt.type_int() }})
        as days_since_first_order,
    cast(coalesce(t.tickets_total, 0) as {{ dbt.type_int() }}) as tickets_total,
    cast(coalesce(t.tickets_90d, 0) as {{ dbt.type_int() }}) as tickets_90d,
    cast(t.median_first_response_minutes as {{ voc360.type_double() }}) as median_first_response_minutes,
    cast(coalesce(t.slow_response_tickets, 0) as {{ dbt.type_int() }}) as slow_response_tickets,
    cast(s.last_nps_score as {{ dbt.type_int() }}) as last_nps_score,
    cast(s.last_csat_score as {{ dbt.type_int() }}) as last_csat_score,
    cast(coalesce(e.touches_30d, 0) as {{ dbt.type_int() }}) as touches_30d,
    cast(coalesce(x.texts_total, 0) as {{ dbt.type_int() }}) as texts_total,
    cast(coalesce(x.negative_texts, 0) as {{ dbt.type_int() }}) as negative_texts,
    cast({{ voc360.safe_divide('x.negative_texts', 'x.texts_total') }} as {{ voc360.type_double() }})
        as negative_text_share,
    cast(x.mean_sentiment_score as {{ voc360.type_double() }}) as mean_sentiment_score,
    cast(case
        when m.has_cancelled_period = 1 then 'cancelled'
        when m.has_running_period = 1 then 'active'
        when m.person_id is not null then 'lapsed'
        else 'never'
    end as {{ dbt.type_string() }}) as membership_state,
    cast(case
        when at_risk.is_scoring_cutoff then null
        when outcomes.orders_next_90d > 0 then 0
        else 1
    end as {{ dbt.type_int() }}) as churned,
    cast(greatest(
        o.last_order_at,
        coalesce(t.last_ticket_at, {{ epoch }}),
        coalesce(t.last_first_response_at, {{ epoch }}),
        coalesce(s.last_survey_at, {{ epoch }}),
        coalesce(e.last_touch_at, {{ epoch }}),
        coalesce(x.last_text_at, {{ epoch }}),
        coalesce(m.last_membership_event_at, {{ epoch }})
    ) as {{ dbt.type_timestamp() }}) as features_max_event_at
from at_risk
cross join bounds
inner join order_features as o
    on at_risk.person_id = o.person_id and at_risk.cutoff_at = o.cutoff_at
left join ticket_features as t
    on at_risk.person_id = t.person_id and at_risk.cutoff_at = t.cutoff_at
left join survey_features as s
    on at_risk.person_id = s.person_id and at_risk.cutoff_at = s.cutoff_at
left join engagement_features as e
    on at_risk.person_id = e.person_id and at_risk.cutoff_at = e.cutoff_at
left join text_features as x
    on at_risk.person_id = x.person_id and at_risk.cutoff_at = x.cutoff_at
left join membership_features as m
    on at_risk.person_id = m.person_id and at_risk.cutoff_at = m.cutoff_at
left join outcomes
    on at_risk.person_id = outcomes.person_id and at_risk.cutoff_at = outcomes.cutoff_at
