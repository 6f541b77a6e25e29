-- The unified timeline for analysts: every customer touch on every channel, one row each, with the person it
-- resolved to (a thin, published copy of int_interactions). Order a person's rows by occurred_at, then
-- interaction_id, to read what they did in sequence. Free text is not here: text_id names it.
with

interactions as (

    select * from {{ ref('int_interactions') }}

)

select
    interaction_id,
    person_id,
    occurred_at,
    occurred_date,
    source,
    channel,
    kind,
    amount,
    currency,
    amount_reporting,
    score,
    text_id,
    source_record_key
from interactions
