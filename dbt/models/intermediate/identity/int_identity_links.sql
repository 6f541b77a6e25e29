-- Every edge of the identity graph, one row per record, linked node and rule. A node is a record (a CRM
-- customer, an order, a receipt, a web visitor, an app device, a social account, a ticket, a survey
-- response, a review) or a shared identifier (a hashed e-mail or phone, a loyalty card). Records that
-- share a node are the same person; int_identity_components resolves the connected components.
--
-- Rules (see DECISIONLOG.md, "Identity"):
--   crm_id                   order, ticket, survey response, review -> the CRM customer id it carries
--   web_login_id             web visitor (anonymous id) -> the one customer id it logged in as
--   app_user_id              app device -> the one customer id signed in on it
--   email_hash, phone_hash   CRM (every version), order contact, ticket requester, store receipt -> identifier
--   loyalty_card             CRM (every version), store receipt -> identifier
--   social_binding_consent   social account -> customer whose binding of it has consent in force
--   social_bio_public_id     social account -> customer id or loyalty card published in its bio
--                            (both from int_social_account_links, which says how)
--   ticket_handle            ticket -> social account, only for accounts linked by one of the two rules above
--   ticket_reference         survey response -> the ticket it rates
--   order_reference          survey response or review -> the order it is about
--   splink_match             CRM customer or store receipt <-> CRM customer, Splink pairs at or above the threshold
{%- set max_customers = var('identity_max_customers_per_identifier') | int %}

with

crm_versions as (

    select * from {{ ref('stg_crm__customer_versions') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

receipts as (

    select * from {{ ref('stg_pos__receipts') }}

),

tickets as (

    select * from {{ ref('stg_service__tickets') }}

),

survey_responses as (

    select * from {{ ref('stg_surveys__responses') }}

),

reviews as (

    select * from {{ ref('stg_reviews__reviews') }}

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

app_events as (

    select * from {{ ref('stg_app__events') }}

),

social_account_links as (

    select * from {{ ref('int_social_account_links') }}

),

splink_matches as (

    {{ voc360.optional_source('identity', 'splink_matches', {
        'record_type_l': dbt.type_string(), 'record_key_l': dbt.type_string(),
        'record_type_r': dbt.type_string(), 'record_key_r': dbt.type_string(),
        'match_probability': voc360.type_double(), 'match_weight': voc360.type_double(),
        'is_match': dbt.type_boolean(), 'match_threshold': voc360.type_double(),
        'evidence': dbt.type_string(), 'model_id': dbt.type_string(), 'scored_at': dbt.type_timestamp(),
    }) }}

),

-- Identifiers each record carries. CRM versions count too: an address a customer used before still
-- identifies them.
identifier_claims as (

    -- email_match_hash: a mistyped domain ("...@qq.con") is the address that was meant; equal to email_hash
    -- for a correctly written address, so it joins the e-mail hashes of the other sources
    select
        'crm_customer' as record_type, customer_id as record_key, 'email_hash' as linked_type,
        email_match_hash as linked_key, 'stg_crm__customer_versions.email_match_hash' as evidence,
        min(updated_at) as linked_at
    from crm_versions
    where email_match_hash is not null
    group by customer_id, email_match_hash

    union all

    select
        'crm_customer', customer_id, 'phone_hash', phone_hash, 'stg_crm__customer_versions.phone_hash', min(updated_at)
    from crm_versions
    where phone_hash is not null
    group by customer_id, phone_hash

    union all

    select
        'crm_customer', customer_id, 'loyalty_card', loyalty_card, 'stg_crm__customer_versions.loyalty_card',
        min(updated_at)
    from crm_versions
    where loyalty_card is not null
    group by customer_id, loyalty_card

    union all

    select 'order', order_id, 'email_hash', contact_email_hash, 'stg_shop__orders.contact_email_hash', ordered_at
    from orders
    where contact_email_hash is not null

    union all

    select 'order', order_id, 'phone_hash', contact_phone_hash, 'stg_shop__orders.contact_phone_hash', ordered_at
    from orders
    where contact_phone_hash is not null

    union all

    select 'ticket', ticket_id, 'email_hash', requester_email_hash, 'stg_service__tickets.requester_email_hash', created_at
    from tickets
    where requester_email_hash is not null

    union all

    select 'ticket', ticket_id, 'phone_hash', requester_phone_hash, 'stg_service__tickets.requester_phone_hash', created_at
    from tickets
    where requester_phone_hash is not null

    union all

    select 'pos_receipt', receipt_id, 'phone_hash', phone_hash, 'stg_pos__receipts.phone_hash', purchased_at
    from receipts
    where phone_hash is not null

    union all

    select 'pos_receipt', receipt_id, 'loyalty_card', loyalty_card, 'stg_pos__receipts.loyalty_card', purchased_at
    from receipts
    where loyalty_card is not null

),

-- An identifier on more CRM customers than the limit is a shared or placeholder value: it links nothing.
shared_identifiers as (

    select linked_type, linked_key
    from identifier_claims
    where record_type = 'crm_customer'
    group by linked_type, linked_key
    having count(distinct record_key) > {{ max_customers }}

),

identifier_links as (

    select
        claims.record_type,
        claims.record_key,
        claims.linked_type,
        claims.linked_key,
        claims.linked_type as rule,
        claims.evidence,
        claims.linked_at
    from identifier_claims as claims
    left join shared_identifiers as shared
        on claims.linked_type = shared.linked_type
        and claims.linked_key = shared.linked_key
    where shared.linked_key is null

),

crm_id_links as (

    select 'order' as record_type, order_id as record_key, customer_id, 'stg_shop__orders.customer_id' as evidence,
        ordered_at as linked_at
    from orders
    where customer_id is not null

    union all

    select 'ticket', ticket_id, customer_id, 'stg_service__tickets.customer_id', created_at
    from tickets
    where customer_id is not null

    union all

    select 'survey_response', response_id, customer_id, 'stg_surveys__responses.customer_id', responded_at
    from survey_responses
    where customer_id is not null

    union all

    select 'review', review_id, customer_id, 'stg_reviews__reviews.customer_id', created_at
    from reviews
    where customer_id is not null

),

-- A browser or device signed in as exactly one customer belongs to that customer, its anonymous events
-- included; one signed in as several customers (a shared computer) links none of them.
web_logins as (

    select
        anonymous_id,
        min(login_id) as login_id,
        count(distinct login_id) as login_ids,
        count(*) as events,
        min(occurred_at) as first_login_at
    from web_events
    where login_id is not null
    group by anonymous_id

),

app_logins as (

    select
        device_id,
        min(user_id) as user_id,
        count(distinct user_id) as user_ids,
        count(*) as events,
        min(occurred_at) as first_login_at
    from app_events
    where user_id is not null
    group by device_id

),

login_links as (

    select
        'web_visitor' as record_type,
        anonymous_id as record_key,
        login_id as customer_id,
        'web_login_id' as rule,
        'stg_web__events.login_id on ' || cast(events as {{ dbt.type_string() }}) || ' events' as evidence,
        first_login_at as linked_at
    from web_logins
    where login_ids = 1

    union all

    select
        'app_device',
        device_id,
        user_id,
        'app_user_id',
        'stg_app__events.user_id on ' || cast(events as {{ dbt.type_string() }}) || ' events',
        first_login_at
    from app_logins
    where user_ids = 1

),

social_links as (

    select
        'social_account' as record_type,
        platform || ':' || handle as record_key,
        linked_type,
        linked_key,
        rule,
        evidence,
        linked_at,
        platform,
        handle
    from social_account_links

),

-- A ticket's requester handle links it to a social account only when that account is itself linked (so a
-- ticket never links an account that its owner did not bind or publish) and the handle names one account.
linked_accounts as (

    select distinct record_key as account_key, handle from social_links

),

ticket_handles as (

    select
        tickets.ticket_id,
        tickets.created_at,
        tickets.requester_handle,
        accounts.account_key,
        count(*) over (partition by tickets.ticket_id) as candidate_accounts
    from tickets
    inner join linked_accounts as accounts
        on tickets.requester_handle = accounts.handle

),

reference_links as (

    select
        'ticket' as record_type,
        ticket_id as record_key,
        'social_account' as linked_type,
        account_key as linked_key,
        'ticket_handle' as rule,
        'stg_service__tickets.requester_handle' as evidence,
        created_at as linked_at
    from ticket_handles
    where candidate_accounts = 1

    union all

    select
        'survey_response', response_id, 'ticket', ticket_id, 'ticket_reference', 'stg_surveys__responses.ticket_id',
        responded_at
    from survey_responses
    where ticket_id is not null

    union all

    select
        'survey_response', response_id, 'order', order_id, 'order_reference', 'stg_surveys__responses.order_id',
        responded_at
    from survey_responses
    where order_id is not null

    union all

    select 'review', review_id, 'order', order_id, 'order_reference', 'stg_reviews__reviews.order_id', created_at
    from reviews
    where order_id is not null

),

splink_links as (

    select
        record_type_l as record_type,
        record_key_l as record_key,
        record_type_r as linked_type,
        record_key_r as linked_key,
        'splink_match' as rule,
        evidence,
        match_probability,
        scored_at as linked_at
    from splink_matches
    where is_match

),

unioned as (

    select
        record_type, record_key, linked_type, linked_key, rule, evidence,
        cast(null as {{ voc360.type_double() }}) as match_probability, linked_at
    from identifier_links

    union all

    select
        record_type, record_key, 'crm_customer', customer_id, 'crm_id', evidence,
        cast(null as {{ voc360.type_double() }}), linked_at
    from crm_id_links

    union all

    select
        record_type, record_key, 'crm_customer', customer_id, rule, evidence,
        cast(null as {{ voc360.type_double() }}), linked_at
    from login_links

    union all

    select
        record_type, record_key, linked_type, linked_key, rule, evidence,
        cast(null as {{ voc360.type_double() }}), linked_at
    from social_links

    union all

    select
        record_type, record_key, linked_type, linked_key, rule, evidence,
        cast(null as {{ voc360.type_double() }}), linked_at
    from reference_links

    union all

    select record_type, record_key, linked_type, linked_key, rule, evidence, match_probability, linked_at
    from splink_links

)

select
    record_type,
    record_key,
    linked_type,
    linked_key,
    rule,
    evidence,
    match_probability,
    cast(linked_at as {{ dbt.type_timestamp() }}) as linked_at
from unioned
