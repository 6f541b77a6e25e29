-- Every tweet with the conversation it belongs to: the tweet that opened its thread (followed back through
-- in_response_to_tweet_id). A thread whose opening tweet is not in the export is its own conversation,
-- opened by its earliest tweet that answers a missing one.
with recursive

tweets as (

    select * from {{ ref('stg_twcs__tweets') }}

),

threads as (

    select tweet_id, tweet_id as conversation_id, 0 as depth
    from tweets
    where in_response_to_tweet_id is null
        or in_response_to_tweet_id not in (select tweet_id from tweets)

    union all

    select tweets.tweet_id, threads.conversation_id, threads.depth + 1
    from tweets
    inner join threads
        on tweets.in_response_to_tweet_id = threads.tweet_id
    where threads.depth < 1000

)

select
    tweets.*,
    threads.conversation_id,
    threads.depth as thread_depth
from tweets
inner join threads
    on tweets.tweet_id = threads.tweet_id
