-- Record -> person: every record of the identity graph (identifiers left out) with the person it
-- resolved to. Records that carry no identifier at all (an anonymous store receipt, a browser that never
-- signed in, a social account neither bound with consent nor publishing an id) are not in the graph and
-- have no person.
with

components as (

    select * from {{ ref('int_identity_components') }}

),

records as (

    select *
    from components
    where node_type not in ('email_hash', 'phone_hash', 'loyalty_card')

),

people as (

    select
        person_id,
        count(*) as person_records,
        count(case when node_type = 'crm_customer' then 1 end) as person_crm_customers
    from records
    group by person_id

)

select
    records.node_type as record_type,
    records.node_key as record_key,
    records.person_id,
    records.anchor_customer_id,
    records.node_type = records.anchor_type and records.node_key = records.anchor_key as is_anchor,
    people.person_crm_customers,
    people.person_records
from records
inner join people
    on records.person_id = people.person_id

-- persons that only an onboarded source knows (var entity_mappings)
{{ voc360.union_mapped('person') }}
