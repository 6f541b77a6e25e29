-- The unified timeline: every touch of every channel as one row, with the person it resolved to (NULL
-- for touches that carry no identifier: anonymous receipts and browsing, posts by people who are not
-- linked). Money is in its own currency (amount, currency) and in the reporting currency; score is the
-- survey score or review rating; text_id names the free text of the touch as "<source>:<key>:<column>"
-- (the key of the source's registry primary key), for the text models that come later.
--
-- source   the registry source the touch comes from (orders, pos_receipts, web_events, ..., crm_customers);
--          interaction_id is "<source>:<key>"
-- channel  where the customer was: web, app, mini_program, store, phone, chat, email, social, sms, crm,
--          membership, reviews
-- kind     what happened (order, store_purchase, store_return, page_view, ..., ticket_created, nps_response)
--
-- Incremental: the touches of orders and web and app events (nearly all rows) come from staging models built
-- by partition window; a run rebuilds the window's and those of records whose person changed since the last
-- run, for which the person map the table was built with is kept beside it (int_interactions__person_map,
-- written in the same transaction). The touches of the other sources are rebuilt in full by every run.
{{ config(**voc360.derived_window_config(
    unique_key='interaction_id',
    pre_hook="{{ voc360.delete_landed_window(including_unlanded=true) }}",
    post_hook="{{ voc360.keep_person_map() }}",
)) }}
{%- set built_with = voc360.kept_person_map() %}
{%- set filtered = is_incremental() and load_relation(built_with) is not none %}

with

person_map as (

    select * from {{ ref('int_person_map') }}

),

crm_people as (

    select record_key as customer_id, person_id from person_map where record_type = 'crm_customer'

),

{% if filtered %}
-- records whose person is not the one the table was built with: new, moved to another person, or gone
remapped_records as (

    select record_type, record_key
    from (
        {{ voc360.changed_rows(['record_type', 'record_key', 'person_id'], 'person_map', built_with) }}
    ) as changed

),
{% endif %}

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

receipts as (

    select * from {{ ref('stg_pos__receipts') }}

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

app_events as (

    select * from {{ ref('stg_app__events') }}

),

social_posts as (

    select * from {{ ref('stg_social__posts') }}

),

account_bindings as (

    select * from {{ ref('stg_social__account_bindings') }}

),

tickets as (

    select * from {{ ref('stg_service__tickets') }}

),

ticket_messages as (

    select * from {{ ref('stg_service__ticket_messages') }}

),

survey_responses as (

    select * from {{ ref('stg_surveys__responses') }}

),

reviews as (

    select * from {{ ref('stg_reviews__reviews') }}

),

membership_events as (

    select * from {{ ref('stg_membership__events') }}

),

crm_customers as (

    select * from {{ ref('stg_crm__customers') }}

),

-- touches of the sources staged by partition window: an incremental run takes the window's records and
-- those of records whose person changed since the last run
window_touches as (

    select
        'orders' as source,
        orders.order_id as source_record_key,
        people.person_id,
        orders.ordered_at as occurred_at,
        orders.channel,
        'order' as kind,
        orders.net_amount as amount,
        orders.currency,
        cast(null as {{ dbt.type_int() }}) as score,
        case when nullif(trim(orders.gift_message), '') is not null then 'orders:' || orders.order_id || ':gift_message' end
            as text_id,
        orders._partition_date
    from orders
    left join person_map as people
        on people.record_type = 'order' and orders.order_id = people.record_key
    {%- if filtered %}
    where {{ voc360.in_landed_window('orders._partition_date') }}
        or orders.order_id in (select record_key from remapped_records where record_type = 'order')
    {%- endif %}

    union all

    -- a signed-in event belongs to the signed-in customer; an anonymous one to the browser's owner, if known
    select
        'web_events',
        web_events.event_id,
        coalesce(login_people.person_id, visitor_people.person_id),
        web_events.occurred_at,
        'web',
        web_events.event_type,
        cast(null as {{ voc360.type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_string() }}),
        web_events._partition_date
    from web_events
    left join crm_people as login_people
        on web_events.login_id = login_people.customer_id
    left join person_map as visitor_people
        on visitor_people.record_type = 'web_visitor' and web_events.anonymous_id = visitor_people.record_key
    {%- if filtered %}
    where {{ voc360.in_landed_window('web_events._partition_date') }}
        or web_events.login_id in (select record_key from remapped_records where record_type = 'crm_customer')
        or web_events.anonymous_id in (select record_key from remapped_records where record_type = 'web_visitor')
    {%- endif %}

    union all

    select
        'app_events',
        app_events.event_id,
        coalesce(user_people.person_id, device_people.person_id),
        app_events.occurred_at,
        'app',
        app_events.event_type,
        cast(null as {{ voc360.type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_string() }}),
        app_events._partition_date
    from app_events
    left join crm_people as user_people
        on app_events.user_id = user_people.customer_id
    left join person_map as device_people
        on device_people.record_type = 'app_device' and app_events.device_id = device_people.record_key
    {%- if filtered %}
    where {{ voc360.in_landed_window('app_events._partition_date') }}
        or app_events.user_id in (select record_key from remapped_records where record_type = 'crm_customer')
        or app_events.device_id in (select record_key from remapped_records where record_type = 'app_device')
    {%- endif %}

),

-- touches of the sources rebuilt in full by every run
rebuilt_touches as (

    select
        'pos_receipts' as source,
        receipts.receipt_id as source_record_key,
        people.person_id,
        receipts.purchased_at as occurred_at,
        'store' as channel,
        case when receipts.total_amount < 0 then 'store_return' else 'store_purchase' end as kind,
        receipts.total_amount as amount,
        {{ voc360.pos_currency('receipts.store_timezone') }} as currency,
        cast(null as {{ dbt.type_int() }}) as score,
        cast(null as {{ dbt.type_string() }}) as text_id
    from receipts
    left join person_map as people
        on people.record_type = 'pos_receipt' and receipts.receipt_id = people.record_key

    union all

    -- the brand's own posts are not customer touches
    select
        'social_posts',
        social_posts.post_id,
        people.person_id,
        social_posts.posted_at,
        'social',
        case when social_posts.is_reply then 'social_reply' else 'social_post' end,
        cast(null as {{ voc360.type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_int() }}),
        'social_posts:' || social_posts.post_id || ':text'
    from social_posts
    left join person_map as people
        on people.record_type = 'social_account'
        and social_posts.platform || ':' || social_posts.handle = people.record_key
    where not coalesce(social_posts.is_brand_account, false)

    union all

    select
        'account_bindings',
        account_bindings.binding_event_id,
        people.person_id,
        account_bindings.occurred_at,
        'app',
        'social_' || account_bindings.action,
        cast(null as {{ voc360.type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_string() }})
    from account_bindings
    left join crm_people as people
        on account_bindings.customer_id = people.customer_id

    union all

    select
        'tickets',
        tickets.ticket_id,
        people.person_id,
        tickets.created_at,
        tickets.channel,
        'ticket_created',
        cast(null as {{ voc360.type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_int() }}),
        case when nullif(trim(tickets.subject), '') is not null then 'tickets:' || tickets.ticket_id || ':subject' end
    from tickets
    left join person_map as people
        on people.record_type = 'ticket' and tickets.ticket_id = people.record_key

    union all

    -- what the customer wrote on a ticket; agent replies and system messages are the brand's side
    select
        'ticket_messages',
        ticket_messages.message_id,
        people.person_id,
        ticket_messages.sent_at,
        tickets.channel,
        'ticket_message',
        cast(null as {{ voc360.type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_int() }}),
        case
            when nullif(trim(ticket_messages.body), '') is not null
                then 'ticket_messages:' || ticket_messages.message_id || ':body'
        end
    from ticket_messages
    inner join tickets
        on ticket_messages.ticket_id = tickets.ticket_id
    left join person_map as people
        on people.record_type = 'ticket' and tickets.ticket_id = people.record_key
    where ticket_messages.author_type = 'customer'

    union all

    select
        'surveys',
        survey_responses.response_id,
        people.person_id,
        survey_responses.responded_at,
        coalesce(survey_responses.channel, 'unknown'),
        survey_responses.survey_type || '_response',
        cast(null as {{ voc360.type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        survey_responses.score,
        case
            when nullif(trim(survey_responses.verbatim), '') is not null
                then 'surveys:' || survey_responses.response_id || ':verbatim'
        end
    from survey_responses
    left join person_map as people
        on people.record_type = 'survey_response' and survey_responses.response_id = people.record_key

    union all

    select
        'reviews',
        reviews.review_id,
        people.person_id,
        reviews.created_at,
        'reviews',
        'review',
        cast(null as {{ voc360.type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        reviews.rating,
        case when nullif(trim(reviews.body), '') is not null then 'reviews:' || reviews.review_id || ':body' end
    from reviews
    left join person_map as people
        on people.record_type = 'review' and reviews.review_id = people.record_key

    union all

    -- the export carries no currency for membership fees
    select
        'memberships',
        membership_events.membership_event_id,
        people.person_id,
        membership_events.occurred_at,
        'membership',
        'membership_' || membership_events.event_type,
        membership_events.amount,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_string() }})
    from membership_events
    left join crm_people as people
        on membership_events.customer_id = people.customer_id

    union all

    select
        'crm_customers',
        crm_customers.customer_id,
        people.person_id,
        crm_customers.signup_at,
        'crm',
        'crm_signup',
        cast(null as {{ voc360.type_double() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_string() }})
    from crm_customers
    left join crm_people as people
        on crm_customers.customer_id = people.customer_id

    -- touches of onboarded sources (var entity_mappings)
    {{ voc360.union_mapped('interaction') }}

),

touches as (

    select * from window_touches
    union all
    select *, cast(null as date) as _partition_date from rebuilt_touches

)

select
    source || ':' || source_record_key as interaction_id,
    person_id,
    occurred_at,
    cast(occurred_at as date) as occurred_date,
    source,
    channel,
    kind,
    amount,
    currency,
    {{ voc360.to_reporting_currency('amount', 'currency') }} as amount_reporting,
    score,
    text_id,
    source_record_key,
    _partition_date
from touches
