-- The unified timeline for analysts: every customer touch on every channel, one row each, with the person it
-- resolved to (a thin, published copy of int_interactions). Order a person's rows by occurred_at, then
-- interaction_id, to read what they did in sequence. Free text is not here: text_id names it.
--
-- On DuckDB a view: publish materialises every view of the marts into the serving database, so analysts get
-- a table while the build does not write its tens of millions of rows a second time each run. On Spark,
-- publish reads the files of the tables dbt wrote, so there it stays a table.
{{ config(materialized='table' if target.type == 'spark' else 'view') }}
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
