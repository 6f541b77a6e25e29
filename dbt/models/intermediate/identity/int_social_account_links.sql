-- Social accounts (platform, handle) linked to a person, only in the two ways that respect the account
-- owner's choice:
--   social_binding_consent  the customer bound the handle in the app and the consent is in force: the latest
--                           bind/revoke event of that customer, platform and handle is a bind with consent
--                           (a revoke at the same instant wins), so a revocation removes the link on the
--                           next build;
--   social_bio_public_id    the owner published a customer id or loyalty card number in the profile bio (the
--                           bio of the account's latest post), matched as a whole token so that "C1234567"
--                           does not match inside "C12345678". Brand accounts are never linked.
-- One row per account, linked node and rule.
with

crm_customers as (

    select * from {{ ref('stg_crm__customers') }}

),

crm_versions as (

    select * from {{ ref('stg_crm__customer_versions') }}

),

social_posts as (

    select * from {{ ref('stg_social__posts') }}

),

account_bindings as (

    select * from {{ ref('stg_social__account_bindings') }}

),

latest_bindings as (

    select
        *,
        row_number() over (
            partition by customer_id, platform, handle
            order by occurred_at desc, case when action = 'revoke' then 0 else 1 end, binding_event_id desc
        ) as recency_rank
    from account_bindings
    where handle is not null and platform is not null

),

consented_accounts as (

    select
        platform,
        handle,
        customer_id,
        'bind with consent at ' || cast(occurred_at as {{ dbt.type_string() }}) || ' (' || binding_event_id || ')'
            as evidence,
        occurred_at as linked_at
    from latest_bindings
    where recency_rank = 1
        and action = 'bind'
        and coalesce(has_consent, false)

),

-- The profile as currently published: the bio of the account's latest post.
latest_bios as (

    select platform, handle, author_bio, posted_at, post_id
    from (
        select
            *,
            row_number() over (partition by platform, handle order by posted_at desc, post_id desc) as recency_rank
        from social_posts
        where author_bio is not null and not coalesce(is_brand_account, false)
    ) as ranked
    where recency_rank = 1

),

public_ids as (

    select customer_id as public_id, 'crm_customer' as linked_type, customer_id as linked_key
    from crm_customers
    where {{ dbt.length('customer_id') }} >= 6

    union

    select loyalty_card, 'loyalty_card', loyalty_card
    from crm_versions
    where {{ dbt.length('loyalty_card') }} >= 6

),

-- An id that stands in a bio as a whole token has its first run of letters and digits among the bio's
-- tokens: joining on that token finds the candidates by equality, where searching every bio for every id
-- (a join on position) compares all pairs.
public_id_tokens as (

    select *, regexp_extract(public_id, '[A-Za-z0-9]+', 0) as first_token
    from public_ids

),

bio_tokens as (

    select distinct platform, handle, token
    from (select platform, handle, {{ voc360.alnum_tokens('author_bio') }} as token from latest_bios) as split_bios

),

bio_mentions as (

    select
        bios.platform,
        bios.handle,
        bios.author_bio,
        bios.posted_at,
        bios.post_id,
        ids.public_id,
        ids.linked_type,
        ids.linked_key,
        {{ dbt.position('ids.public_id', 'bios.author_bio') }} as found_at
    from bio_tokens as tokens
    inner join public_id_tokens as ids
        on tokens.token = ids.first_token
    inner join latest_bios as bios
        on tokens.platform = bios.platform
        and tokens.handle = bios.handle
    where {{ dbt.position('ids.public_id', 'bios.author_bio') }} > 0

),

-- A whole token only: "C1234567" must not match inside "C12345678".
bio_public_ids as (

    select
        platform,
        handle,
        linked_type,
        linked_key,
        'public id in the bio of post ' || post_id as evidence,
        posted_at as linked_at
    from bio_mentions
    where not {{ voc360.regexp_like(
            "case when found_at > 1 then substring(author_bio, found_at - 1, 1) else '' end", "'[A-Za-z0-9]'") }}
        and not {{ voc360.regexp_like(
            "substring(author_bio, found_at + " ~ dbt.length('public_id') ~ ", 1)", "'[A-Za-z0-9]'") }}

)

select
    platform,
    handle,
    'crm_customer' as linked_type,
    customer_id as linked_key,
    'social_binding_consent' as rule,
    evidence,
    linked_at
from consented_accounts

union all

select
    platform,
    handle,
    linked_type,
    linked_key,
    'social_bio_public_id' as rule,
    evidence,
    linked_at
from bio_public_ids
