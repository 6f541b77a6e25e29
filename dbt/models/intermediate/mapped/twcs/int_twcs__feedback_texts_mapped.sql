-- What customers wrote to the brands on Twitter, for int_feedback_texts and the topic models.
select
    'twcs_tweets:' || tweet_id || ':tweet_text' as text_id,
    'twcs_tweets' as source,
    tweet_id as source_record_key,
    {{ voc360.mapped_person_id("'twcs_customer'", 'customer_author_hash') }} as person_id,
    'social' as channel,
    created_at,
    tweet_text as text,
    cast(null as {{ dbt.type_int() }}) as review_rating,
    cast(null as {{ dbt.type_int() }}) as nps_score,
    cast(null as {{ dbt.type_int() }}) as csat_score
from {{ ref('stg_twcs__tweets') }}
where is_inbound and nullif(trim(tweet_text), '') is not null
