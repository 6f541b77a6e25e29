-- Customer tweets for int_interactions (channel social); brands' replies are the brand's side.
select
    'twcs_tweets' as source,
    tweet_id as source_record_key,
    {{ voc360.mapped_person_id("'twcs_customer'", 'customer_author_hash') }} as person_id,
    created_at as occurred_at,
    'social' as channel,
    case when in_response_to_tweet_id is null then 'social_post' else 'social_reply' end as kind,
    cast(null as {{ voc360.type_double() }}) as amount,
    cast(null as {{ dbt.type_string() }}) as currency,
    cast(null as {{ dbt.type_int() }}) as score,
    case when nullif(trim(tweet_text), '') is not null then 'twcs_tweets:' || tweet_id || ':tweet_text' end as text_id
from {{ ref('stg_twcs__tweets') }}
where is_inbound
