-- Volume and mean sentiment per topic and ISO week (Monday start) of the text's creation day, "other" (-1)
-- included so the weekly totals add up to all feedback texts.
with

texts as (

    select * from {{ source('ml', 'text_insights') }}

),

topics as (

    select topic_id, label from {{ source('ml', 'topics') }}

)

select
    cast(texts.topic_id as {{ dbt.type_bigint() }}) as topic_id,
    cast(max(coalesce(topics.label, texts.topic_label)) as {{ dbt.type_string() }}) as topic_label,
    cast({{ dbt.date_trunc('week', 'texts.created_date') }} as {{ voc360.type_date() }}) as week_start,
    cast(count(*) as {{ dbt.type_bigint() }}) as texts,
    cast(count(distinct texts.person_id) as {{ dbt.type_bigint() }}) as customers,
    cast(sum(case when texts.sentiment = 'negative' then 1 else 0 end) as {{ dbt.type_bigint() }}) as negative_texts,
    cast(sum(case when texts.sentiment = 'positive' then 1 else 0 end) as {{ dbt.type_bigint() }}) as positive_texts,
    cast(avg(texts.sentiment_score) as {{ voc360.type_double() }}) as mean_sentiment_score
from texts
left join topics
    on texts.topic_id = topics.topic_id
group by texts.topic_id, {{ dbt.date_trunc('week', 'texts.created_date') }}
