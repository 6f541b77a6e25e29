-- Who to call first: customers scored at the latest cut-off (a completed order in the last 180 days, so not
-- churned yet) whose predicted 12-month value is at least the median of the scored customers
-- (var intervention_min_clv_quantile), and who wrote a negative text on a high-risk topic (topic_churn_lift:
-- lift CI above 1). Ranked by expected value at risk = churn score x CLV. One row per customer, with the
-- topic of their latest such text and that text, masked, as the quote.
with

churn_scores as (

    select * from {{ source('ml', 'churn_scores') }}

),

customer_clv as (

    select * from {{ source('ml', 'customer_clv') }}

),

texts as (

    select * from {{ source('ml', 'text_insights') }}
    where person_id is not null and sentiment = 'negative'

),

high_risk_topics as (

    select topic_id, topic_label, lift, lift_ci_low from {{ ref('topic_churn_lift') }}
    where is_high_risk

),

scored as (

    select churn_scores.*, customer_clv.clv_12m, customer_clv.probability_alive
    from churn_scores
    inner join customer_clv
        on churn_scores.person_id = customer_clv.person_id

),

clv_floor as (

    select percentile_cont({{ var('intervention_min_clv_quantile') }}) within group (order by clv_12m) as min_clv
    from scored

),

quotes as (

    select
        texts.person_id,
        texts.topic_id,
        high_risk_topics.topic_label,
        high_risk_topics.lift,
        texts.masked_text,
        texts.created_at,
        texts.source,
        row_number() over (
            partition by texts.person_id order by texts.created_at desc, texts.text_id desc
        ) as recency_rank
    from texts
    inner join high_risk_topics
        on texts.topic_id = high_risk_topics.topic_id

),

candidates as (

    select
        scored.person_id,
        scored.scored_as_of,
        scored.churn_score,
        scored.clv_12m,
        scored.probability_alive,
        scored.churn_score * scored.clv_12m as value_at_risk,
        scored.reason_1,
        scored.reason_2,
        scored.reason_3,
        quotes.topic_id,
        quotes.topic_label,
        quotes.lift as topic_lift,
        quotes.masked_text as quote,
        quotes.created_at as quote_at,
        quotes.source as quote_source
    from scored
    cross join clv_floor
    inner join quotes
        on scored.person_id = quotes.person_id
        and quotes.recency_rank = 1
    where scored.clv_12m >= clv_floor.min_clv

)

select
    cast(row_number() over (order by value_at_risk desc, person_id) as {{ dbt.type_int() }}) as priority_rank,
    cast(person_id as {{ dbt.type_string() }}) as person_id,
    cast(scored_as_of as {{ voc360.type_date() }}) as scored_as_of,
    cast(churn_score as {{ voc360.type_double() }}) as churn_score,
    cast(clv_12m as {{ voc360.type_double() }}) as clv_12m,
    cast(probability_alive as {{ voc360.type_double() }}) as probability_alive,
    cast(value_at_risk as {{ voc360.type_double() }}) as value_at_risk,
    cast(topic_id as {{ dbt.type_bigint() }}) as topic_id,
    cast(topic_label as {{ dbt.type_string() }}) as topic_label,
    cast(topic_lift as {{ voc360.type_double() }}) as topic_lift,
    cast(reason_1 as {{ dbt.type_string() }}) as reason_1,
    cast(reason_2 as {{ dbt.type_string() }}) as reason_2,
    cast(reason_3 as {{ dbt.type_string() }}) as reason_3,
    cast(quote as {{ dbt.type_string() }}) as quote,
    cast(quote_at as {{ dbt.type_timestamp() }}) as quote_at,
    cast(quote_source as {{ dbt.type_string() }}) as quote_source
from candidates
