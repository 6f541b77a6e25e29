-- Twitter conversations as tickets of channel social, for the service KPIs. A ticket is a conversation that
-- a customer opened: a customer tweet that answers no other tweet. First response (DECISIONLOG.md): the
-- earliest brand tweet that replies directly to that opening tweet, not before it; NULL when the brand has
-- not answered it in the export. Twitter has no ticket status: every conversation is open, never resolved.
with

conversations as (

    select * from {{ ref('int_twcs__conversations') }}

),

openings as (

    select *
    from conversations
    where is_inbound and in_response_to_tweet_id is null

),

first_replies as (

    select openings.tweet_id, min(replies.created_at) as first_response_at
    from openings
    inner join conversations as replies
        on replies.in_response_to_tweet_id = openings.tweet_id
        and not replies.is_inbound
        and replies.created_at >= openings.created_at
    group by openings.tweet_id

),

thread_counts as (

    select
        conversation_id,
        count(case when not is_inbound then 1 end) as brand_replies,
        count(case when is_inbound then 1 end) as customer_tweets
    from conversations
    group by conversation_id

)

select
    'twcs:' || openings.tweet_id as ticket_id,
    {{ voc360.mapped_person_id("'twcs_customer'", 'openings.customer_author_hash') }} as person_id,
    cast(null as {{ dbt.type_string() }}) as customer_id,
    'social' as channel,
    cast(null as {{ dbt.type_string() }}) as priority,
    openings.created_at,
    openings.created_date,
    first_replies.first_response_at,
    thread_counts.brand_replies as agent_public_replies,
    0 as internal_notes,
    thread_counts.customer_tweets as customer_messages,
    'open' as current_status,
    cast(null as {{ dbt.type_timestamp() }}) as first_solved_at,
    cast(null as {{ dbt.type_timestamp() }}) as last_solved_at,
    cast(null as {{ dbt.type_timestamp() }}) as closed_at,
    0 as reopen_count,
    cast(null as {{ dbt.type_timestamp() }}) as resolved_at
from openings
left join first_replies
    on openings.tweet_id = first_replies.tweet_id
left join thread_counts
    on openings.tweet_id = thread_counts.conversation_id
