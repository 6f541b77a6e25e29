-- One row per person (int_person_map): profile, activity on every channel, service experience, feedback
-- scores, membership, RFM segment and tags, as of the last day of the loaded history (as_of_date). No clear
-- personal data: e-mail and phone only as salted hashes, the birth date only as its year. Money in the
-- reporting currency; net_revenue is the person's historical CLV (completed orders, refunds and
-- cancellations excluded). The ML columns (sentiment, topics, churn score and reasons, predicted CLV) come
-- from the Python ML assets (schema ml).
with

person_map as (

    select * from {{ ref('int_person_map') }}

),

crm_customers as (

    select * from {{ ref('stg_crm__customers') }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where person_id is not null

),

-- read by several parts of the model: inlined into each rather than held (macro inline_cte)
interactions as {{ voc360.inline_cte() }} (

    select * from {{ ref('int_interactions') }}
    where person_id is not null

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

tickets as (

    select * from {{ ref('int_tickets_measured') }}
    where person_id is not null

),

membership_periods as (

    select * from {{ ref('int_membership_periods') }}
    where person_id is not null

),

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

as_of as (

    select max(date_day) as as_of_date from calendar

),

persons as (

    select
        person_id,
        max(anchor_customer_id) as anchor_customer_id,
        count(case when record_type = 'crm_customer' then 1 end) as crm_customer_count,
        count(case when record_type = 'social_account' then 1 end) as social_accounts
    from person_map
    group by person_id

),

crm_records as (

    select person_map.person_id, crm_customers.*
    from person_map
    inner join crm_customers
        on person_map.record_type = 'crm_customer'
        and person_map.record_key = crm_customers.customer_id

),

crm_summary as (

    select
        person_id,
        {{ dbt.listagg('customer_id', "','", 'order by customer_id') }} as crm_customer_ids,
        min(signup_at) as signup_at,
        {{ dbt.bool_or('loyalty_card is not null') }} as has_loyalty_card
    from crm_records
    group by person_id

),

order_summary as (

    select
        person_id,
        count(case when is_completed then 1 end) as completed_orders,
        coalesce(sum(case when is_completed then net_amount_reporting end), 0) as net_revenue,
        min(case when is_completed then ordered_at end) as first_order_at,
        max(case when is_completed then ordered_at end) as last_order_at,
        count(case when is_completed and is_gift then 1 end) as gift_orders,
        count(case when status in ('cancelled', 'refunded', 'returned') then 1 end) as cancelled_or_refunded_orders,
        count(distinct case when is_completed then channel end) as order_channels
    from orders
    group by person_id

),

touch_summary as (

    select
        person_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(case when source = 'web_events' then 1 end) as web_events,
        max(case when source = 'web_events' then occurred_at end) as last_web_at,
        count(case when source = 'app_events' then 1 end) as app_events,
        count(distinct case when source = 'app_events' then occurred_date end) as app_active_days,
        count(case when source = 'app_events' and kind = 'crash' then 1 end) as app_crashes,
        max(case when source = 'app_events' then occurred_at end) as last_app_at,
        count(case when source = 'reviews' then 1 end) as reviews,
        avg(case when source = 'reviews' then cast(score as {{ voc360.type_double() }}) end) as avg_review_rating,
        count(case when source = 'social_posts' then 1 end) as social_posts
    from interactions
    group by person_id

),

-- Channels the person used on their own initiative: where they bought, browsed, posted or contacted service.
channels_used as (

    select
        person_id,
        {{ dbt.listagg('channel', "','", 'order by channel') }} as channels_used,
        count(*) as channel_count
    from (
        select distinct person_id, channel
        from interactions
        where source in ('orders', 'pos_receipts', 'web_events', 'app_events', 'social_posts', 'tickets')
    ) as distinct_channels
    group by person_id

),

web_sessions as (

    select interactions.person_id, count(distinct web_events.session_id) as web_sessions
    from interactions
    inner join web_events
        on interactions.source = 'web_events'
        and interactions.source_record_key = web_events.event_id
    group by interactions.person_id

),

ticket_summary as (

    select
        person_id,
        count(*) as tickets,
        count(case when not is_resolved then 1 end) as open_tickets,
        {{ voc360.median('first_response_minutes') }} as median_first_response_minutes,
        max(created_at) as last_ticket_at
    from tickets
    group by person_id

),

latest_scores as (

    select
        person_id,
        kind,
        score,
        occurred_at,
        row_number() over (partition by person_id, kind order by occurred_at desc, source_record_key desc) as recency_rank
    from interactions
    where kind in ('nps_response', 'csat_response') and score is not null

),

latest_membership as (

    select *
    from (
        select
            *,
            row_number() over (partition by person_id order by period_start desc, period_end desc) as recency_rank
        from membership_periods
        where period_start <= (select as_of_date from as_of)
    ) as ranked
    where recency_rank = 1

),

profiles as (

    select
        persons.person_id,
        persons.anchor_customer_id,
        persons.crm_customer_count,
        persons.social_accounts,
        crm_summary.crm_customer_ids,
        crm_summary.signup_at,
        coalesce(crm_summary.has_loyalty_card, false) as has_loyalty_card,
        anchor.email_hash,
        anchor.phone_hash,
        anchor.city,
        anchor.birth_year,
        anchor.gender,
        anchor.has_marketing_opt_in
    from persons
    left join crm_summary
        on persons.person_id = crm_summary.person_id
    left join crm_customers as anchor
        on persons.anchor_customer_id = anchor.customer_id

),

combined as (

    select
        profiles.*,
        as_of.as_of_date,
        touch_summary.first_seen_at,
        touch_summary.last_seen_at,
        coalesce(order_summary.completed_orders, 0) as completed_orders,
        coalesce(order_summary.net_revenue, 0) as net_revenue,
        order_summary.first_order_at,
        order_summary.last_order_at,
        coalesce(order_summary.gift_orders, 0) as gift_orders,
        coalesce(order_summary.cancelled_or_refunded_orders, 0) as cancelled_or_refunded_orders,
        coalesce(order_summary.order_channels, 0) as order_channels,
        channels_used.channels_used,
        coalesce(channels_used.channel_count, 0) as channel_count,
        coalesce(web_sessions.web_sessions, 0) as web_sessions,
        coalesce(touch_summary.web_events, 0) as web_events,
        touch_summary.last_web_at,
        coalesce(touch_summary.app_events, 0) as app_events,
        coalesce(touch_summary.app_active_days, 0) as app_active_days,
        coalesce(touch_summary.app_crashes, 0) as app_crashes,
        touch_summary.last_app_at,
        coalesce(ticket_summary.tickets, 0) as tickets,
        coalesce(ticket_summary.open_tickets, 0) as open_tickets,
        ticket_summary.median_first_response_minutes,
        ticket_summary.last_ticket_at,
        coalesce(touch_summary.reviews, 0) as reviews,
        touch_summary.avg_review_rating,
        coalesce(touch_summary.social_posts, 0) as social_posts,
        last_nps.score as last_nps_score,
        last_nps.occurred_at as last_nps_at,
        last_csat.score as last_csat_score,
        last_csat.occurred_at as last_csat_at,
        latest_membership.plan as membership_plan,
        latest_membership.period_end as membership_period_end,
        case
            when latest_membership.person_id is null then 'never'
            when as_of.as_of_date < latest_membership.period_end and latest_membership.is_cancelled then 'cancelled'
            when as_of.as_of_date < latest_membership.period_end then 'active'
            when latest_membership.is_renewed then 'active'
            when as_of.as_of_date <= latest_membership.renewal_deadline then 'grace'
            else 'lapsed'
        end as membership_status
    from profiles
    cross join as_of
    left join touch_summary
        on profiles.person_id = touch_summary.person_id
    left join order_summary
        on profiles.person_id = order_summary.person_id
    left join channels_used
        on profiles.person_id = channels_used.person_id
    left join web_sessions
        on profiles.person_id = web_sessions.person_id
    left join ticket_summary
        on profiles.person_id = ticket_summary.person_id
    left join latest_scores as last_nps
        on profiles.person_id = last_nps.person_id
        and last_nps.kind = 'nps_response'
        and last_nps.recency_rank = 1
    left join latest_scores as last_csat
        on profiles.person_id = last_csat.person_id
        and last_csat.kind = 'csat_response'
        and last_csat.recency_rank = 1
    left join latest_membership
        on profiles.person_id = latest_membership.person_id

),

-- RFM scores 1-5 among persons with a completed order, from the cumulative distribution of each measure so
-- that equal values always get equal scores (ntile would split ties arbitrarily).
rfm as (

    select
        person_id,
        cast(ceil(5 * cume_dist() over (order by last_order_at)) as {{ dbt.type_int() }}) as rfm_recency_score,
        cast(ceil(5 * cume_dist() over (order by completed_orders)) as {{ dbt.type_int() }}) as rfm_frequency_score,
        cast(ceil(5 * cume_dist() over (order by net_revenue)) as {{ dbt.type_int() }}) as rfm_monetary_score
    from combined
    where completed_orders > 0

),

scored as (

    select
        combined.*,
        rfm.rfm_recency_score,
        rfm.rfm_frequency_score,
        rfm.rfm_monetary_score,
        case
            when rfm.person_id is null then 'no_purchase'
            when rfm.rfm_recency_score >= 4 and rfm.rfm_frequency_score >= 4 then 'champions'
            when rfm.rfm_recency_score >= 3 and rfm.rfm_frequency_score >= 3 then 'loyal'
            when rfm.rfm_recency_score >= 4 and combined.completed_orders = 1 then 'new'
            when rfm.rfm_recency_score >= 3 then 'promising'
            when rfm.rfm_frequency_score >= 3 then 'at_risk'
            else 'hibernating'
        end as rfm_segment
    from combined
    left join rfm
        on combined.person_id = rfm.person_id

),

-- ML columns (schema ml, written by the Python assets ml/text_insights, ml/churn_scores, ml/customer_clv).
text_insights as (

    select * from {{ source('ml', 'text_insights') }}
    where person_id is not null

),

topic_counts as (

    select person_id, topic_label, count(*) as texts
    from text_insights
    where topic_id >= 0
    group by person_id, topic_label

),

text_summary as (

    select
        text_insights.person_id,
        avg(text_insights.sentiment_score) as sentiment_mean,
        max(top.top_topics) as top_topics
    from text_insights
    left join (
        select
            person_id,
            {{ dbt.listagg("topic_label || ' (' || cast(texts as " ~ dbt.type_string() ~ ") || ')'", "'; '",
                           "order by texts desc, topic_label", 3) }} as top_topics
        from topic_counts
        group by person_id
    ) as top
        on text_insights.person_id = top.person_id
    group by text_insights.person_id

),

churn_scores as (

    select * from {{ source('ml', 'churn_scores') }}

),

customer_clv as (

    select * from {{ source('ml', 'customer_clv') }}

),

with_ml as (

    select
        scored.*,
        text_summary.sentiment_mean,
        text_summary.top_topics,
        churn_scores.churn_score,
        nullif(concat_ws('; ', churn_scores.reason_1, churn_scores.reason_2, churn_scores.reason_3), '')
            as churn_reasons,
        customer_clv.clv_12m,
        customer_clv.probability_alive
    from scored
    left join text_summary
        on scored.person_id = text_summary.person_id
    left join churn_scores
        on scored.person_id = churn_scores.person_id
    left join customer_clv
        on scored.person_id = customer_clv.person_id

)

select
    cast(person_id as {{ dbt.type_string() }}) as person_id,
    cast(anchor_customer_id as {{ dbt.type_string() }}) as anchor_customer_id,
    cast(crm_customer_ids as {{ dbt.type_string() }}) as crm_customer_ids,
    cast(crm_customer_count as {{ dbt.type_int() }}) as crm_customer_count,
    crm_customer_ids is not null as is_crm_customer,
    cast(email_hash as {{ dbt.type_string() }}) as email_hash,
    cast(phone_hash as {{ dbt.type_string() }}) as phone_hash,
    cast(city as {{ dbt.type_string() }}) as city,
    cast(birth_year as {{ dbt.type_int() }}) as birth_year,
    cast(gender as {{ dbt.type_string() }}) as gender,
    cast(signup_at as {{ dbt.type_timestamp() }}) as signup_at,
    has_loyalty_card,
    has_marketing_opt_in,
    cast(first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at,
    cast(last_seen_at as {{ dbt.type_timestamp() }}) as last_seen_at,
    cast(completed_orders as {{ dbt.type_bigint() }}) as completed_orders,
    cast(net_revenue as {{ voc360.type_double() }}) as net_revenue,
    cast({{ voc360.safe_divide('net_revenue', 'completed_orders') }} as {{ voc360.type_double() }}) as aov,
    cast(first_order_at as {{ dbt.type_timestamp() }}) as first_order_at,
    cast(last_order_at as {{ dbt.type_timestamp() }}) as last_order_at,
    cast({{ dbt.datediff('last_order_at', 'as_of_date', 'day') }} as {{ dbt.type_int() }}) as days_since_last_order,
    cast({{ voc360.safe_divide(
        'completed_orders',
        dbt.datediff(dbt.date_trunc('month', 'first_order_at'), dbt.date_trunc('month', 'as_of_date'), 'month') ~ ' + 1'
    ) }} as {{ voc360.type_double() }}) as purchase_frequency_per_month,
    cast(gift_orders as {{ dbt.type_bigint() }}) as gift_orders,
    cast(cancelled_or_refunded_orders as {{ dbt.type_bigint() }}) as cancelled_or_refunded_orders,
    cast(channels_used as {{ dbt.type_string() }}) as channels_used,
    cast(channel_count as {{ dbt.type_int() }}) as channel_count,
    cast(web_sessions as {{ dbt.type_bigint() }}) as web_sessions,
    cast(web_events as {{ dbt.type_bigint() }}) as web_events,
    cast(last_web_at as {{ dbt.type_timestamp() }}) as last_web_at,
    cast(app_events as {{ dbt.type_bigint() }}) as app_events,
    cast(app_active_days as {{ dbt.type_bigint() }}) as app_active_days,
    cast(app_crashes as {{ dbt.type_bigint() }}) as app_crashes,
    cast(last_app_at as {{ dbt.type_timestamp() }}) as last_app_at,
    cast(tickets as {{ dbt.type_bigint() }}) as tickets,
    cast(open_tickets as {{ dbt.type_bigint() }}) as open_tickets,
    cast(median_first_response_minutes as {{ voc360.type_double() }}) as median_first_response_minutes,
    cast(last_ticket_at as {{ dbt.type_timestamp() }}) as last_ticket_at,
    cast(reviews as {{ dbt.type_bigint() }}) as reviews,
    cast(avg_review_rating as {{ voc360.type_double() }}) as avg_review_rating,
    cast(social_accounts as {{ dbt.type_bigint() }}) as social_accounts,
    cast(social_posts as {{ dbt.type_bigint() }}) as social_posts,
    cast(last_nps_score as {{ dbt.type_int() }}) as last_nps_score,
    cast(last_nps_at as {{ dbt.type_timestamp() }}) as last_nps_at,
    cast(case
        when last_nps_score >= 9 then 'promoter'
        when last_nps_score >= 7 then 'passive'
        when last_nps_score >= 0 then 'detractor'
    end as {{ dbt.type_string() }}) as nps_category,
    cast(last_csat_score as {{ dbt.type_int() }}) as last_csat_score,
    cast(last_csat_at as {{ dbt.type_timestamp() }}) as last_csat_at,
    cast(membership_status as {{ dbt.type_string() }}) as membership_status,
    cast(membership_plan as {{ dbt.type_string() }}) as membership_plan,
    cast(membership_period_end as {{ voc360.type_date() }}) as membership_period_end,
    rfm_recency_score,
    rfm_frequency_score,
    rfm_monetary_score,
    cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
    cast(nullif(concat_ws(',',
        case when app_events > 0 then 'app_user' end,
        case when crm_customer_count > 1 then 'crm_records_merged' end,
        case when last_nps_score between 0 and 6 then 'detractor' end,
        case when gift_orders > 0 then 'gift_buyer' end,
        case when rfm_monetary_score = 5 then 'high_value' end,
        case when membership_status in ('active', 'cancelled', 'grace') then 'member' end,
        case when order_channels > 1 then 'multichannel_buyer' end,
        case when last_nps_score between 9 and 10 then 'promoter' end,
        case
            when last_ticket_at is not null
                and {{ dbt.datediff('last_ticket_at', 'as_of_date', 'day') }} <= 30 then 'recent_service_contact'
        end,
        case when social_accounts > 0 then 'social_linked' end
    ), '') as {{ dbt.type_string() }}) as tags,
    cast(as_of_date as {{ voc360.type_date() }}) as as_of_date,
    cast('{{ var("reporting_currency") }}' as {{ dbt.type_string() }}) as reporting_currency,
    cast(sentiment_mean as {{ voc360.type_double() }}) as sentiment_mean,
    cast(top_topics as {{ dbt.type_string() }}) as top_topics,
    cast(churn_score as {{ voc360.type_double() }}) as churn_score,
    cast(churn_reasons as {{ dbt.type_string() }}) as churn_reasons,
    cast(clv_12m as {{ voc360.type_double() }}) as clv_12m,
    cast(probability_alive as {{ voc360.type_double() }}) as probability_alive
from with_ml
