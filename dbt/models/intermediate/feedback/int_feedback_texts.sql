-- One row per text a customer wrote, from every channel that carries free text: public social posts (not
-- the brand's own accounts), ticket subjects and the customer's own ticket messages, survey verbatims and
-- reviews (title and body as one text). text_id is the text_id of the touch in int_interactions
-- ("<source>:<key>:<column>"); a review's title and body share the body's id. The score that comes with a
-- text (review rating, NPS or CSAT of the same response) is kept as a weak sentiment label for the text
-- models. The text is the clear text as staged: the ML step masks it before it is embedded or stored, and
-- nothing downstream of this model reads it.
with

person_map as (

    select * from {{ ref('int_person_map') }}

),

social_posts as (

    select * from {{ ref('stg_social__posts') }}

),

tickets as (

    select * from {{ ref('stg_service__tickets') }}

),

ticket_messages as (

    select * from {{ ref('stg_service__ticket_messages') }}

),

survey_responses as (

    select * from {{ ref('stg_surveys__responses') }}

),

reviews as (

    select * from {{ ref('stg_reviews__reviews') }}

),

texts as (

    select
        'social_posts:' || social_posts.post_id || ':text' as text_id,
        'social_posts' as source,
        social_posts.post_id as source_record_key,
        people.person_id,
        'social' as channel,
        social_posts.posted_at as created_at,
        social_posts.post_text as text,
        cast(null as {{ dbt.type_int() }}) as review_rating,
        cast(null as {{ dbt.type_int() }}) as nps_score,
        cast(null as {{ dbt.type_int() }}) as csat_score
    from social_posts
    left join person_map as people
        on people.record_type = 'social_account'
        and social_posts.platform || ':' || social_posts.handle = people.record_key
    where not coalesce(social_posts.is_brand_account, false)

    union all

    -- the subject is typed by the customer when opening the ticket
    select
        'tickets:' || tickets.ticket_id || ':subject',
        'tickets',
        tickets.ticket_id,
        people.person_id,
        tickets.channel,
        tickets.created_at,
        tickets.subject,
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_int() }})
    from tickets
    left join person_map as people
        on people.record_type = 'ticket' and tickets.ticket_id = people.record_key

    union all

    -- agent replies, internal notes and system messages are the brand's side, not feedback
    select
        'ticket_messages:' || ticket_messages.message_id || ':body',
        'ticket_messages',
        ticket_messages.message_id,
        people.person_id,
        tickets.channel,
        ticket_messages.sent_at,
        ticket_messages.body,
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_int() }})
    from ticket_messages
    inner join tickets
        on ticket_messages.ticket_id = tickets.ticket_id
    left join person_map as people
        on people.record_type = 'ticket' and tickets.ticket_id = people.record_key
    where ticket_messages.author_type = 'customer'
        and coalesce(ticket_messages.is_public, true)

    union all

    select
        'surveys:' || survey_responses.response_id || ':verbatim',
        'surveys',
        survey_responses.response_id,
        people.person_id,
        coalesce(survey_responses.channel, 'unknown'),
        survey_responses.responded_at,
        survey_responses.verbatim,
        cast(null as {{ dbt.type_int() }}),
        case when survey_responses.survey_type = 'nps' then survey_responses.score end,
        case when survey_responses.survey_type = 'csat' then survey_responses.score end
    from survey_responses
    left join person_map as people
        on people.record_type = 'survey_response' and survey_responses.response_id = people.record_key

    union all

    select
        'reviews:' || reviews.review_id || ':body',
        'reviews',
        reviews.review_id,
        people.person_id,
        'reviews',
        reviews.created_at,
        case
            when nullif(trim(reviews.title), '') is null then reviews.body
            when nullif(trim(reviews.body), '') is null then reviews.title
            else trim(reviews.title) || '. ' || reviews.body
        end,
        reviews.rating,
        cast(null as {{ dbt.type_int() }}),
        cast(null as {{ dbt.type_int() }})
    from reviews
    left join person_map as people
        on people.record_type = 'review' and reviews.review_id = people.record_key

    -- texts of onboarded sources (var entity_mappings)
    {{ voc360.union_mapped('feedback_text') }}

)

select
    text_id,
    person_id,
    source,
    source_record_key,
    channel,
    created_at,
    cast(created_at as date) as created_date,
    text,
    review_rating,
    nps_score,
    csat_score
from texts
where nullif(trim(text), '') is not null
