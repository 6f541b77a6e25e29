-- Long topic exposure of the churn snapshots: per person x cut-off x topic, the texts the person wrote on the
-- topic before the cut-off, how many of them were negative, and the latest such text (for the look-ahead
-- check). Only topics of the current registry (not retired, not "other"). The churn asset pivots it to one
-- column per topic.
with

snapshots as (

    select person_id, cutoff_date from {{ ref('feat_churn_snapshots') }}

),

texts as (

    select * from {{ source('ml', 'text_insights') }}
    where person_id is not null

),

topics as (

    select * from {{ source('ml', 'topics') }}
    where not retired and topic_id >= 0

)

select
    snapshots.person_id,
    snapshots.cutoff_date,
    texts.topic_id,
    max(topics.label) as topic_label,
    cast(count(*) as {{ dbt.type_int() }}) as texts,
    cast(sum(case when texts.sentiment = 'negative' then 1 else 0 end) as {{ dbt.type_int() }}) as negative_texts,
    max(texts.created_at) as max_event_at
from snapshots
inner join texts
    on texts.person_id = snapshots.person_id
    and texts.created_at < cast(snapshots.cutoff_date as {{ dbt.type_timestamp() }})
inner join topics
    on texts.topic_id = topics.topic_id
group by snapshots.person_id, snapshots.cutoff_date, texts.topic_id
