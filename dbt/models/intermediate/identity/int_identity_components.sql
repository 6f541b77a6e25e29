-- Connected components of the identity graph (int_identity_links, both directions) by label propagation:
-- every node starts with its own anchor rank and, in each round, takes the smallest label among itself
-- and its neighbours. After enough rounds every node of a component carries the component's smallest
-- anchor rank, which is chosen so that the anchor is the earliest-created CRM customer of the component:
--
--   '0|<signup_at>|<customer_id>'   a CRM customer with a record (earliest signup first, then id)
--   '1|crm_customer:<customer_id>'  a customer id that other records carry but the CRM does not hold
--   '2|<node>'                      any other record or identifier (components without a customer id)
--
-- person_id is a hash of the anchor, not a row number: it stays the same from build to build for as long
-- as the person's earliest CRM record does.
--
-- The rounds are unrolled by Jinja (var identity_label_propagation_iterations) rather than written as a
-- recursive CTE: Spark SQL has no recursive CTEs before 4.1, and engines that have them do not allow the
-- min() aggregate in the recursive member. Each round reads the previous one once. The data test
-- links_stay_within_one_component fails if a build ever needs more rounds than configured.
--
-- Incremental (macros/incremental/identity_graph.sql): a run resolves again the nodes whose links or CRM
-- record changed since the last run, and every node of the components that held them; no link joins those
-- to a node outside (a link kept from the last run stays inside its old component, a new one has changed
-- nodes at both ends), so the rounds over them alone give what rounds over the whole graph would.
{{ config(**voc360.identity_components_config()) }}
{%- set iterations = var('identity_label_propagation_iterations') | int %}
{%- set scoped = voc360.identity_graph_kept() %}

with

links as (

    select * from {{ ref('int_identity_links') }}

),

crm_customers as (

    select * from {{ ref('stg_crm__customers') }}

),

edges as (

    select
        record_type || ':' || record_key as node_id,
        linked_type || ':' || linked_key as neighbour_id
    from links

    union all

    select
        linked_type || ':' || linked_key,
        record_type || ':' || record_key
    from links

),

nodes as (

    select record_type as node_type, record_key as node_key from links
    union
    select linked_type, linked_key from links
    union
    select 'crm_customer', customer_id from crm_customers

),

ranked_nodes as (

    select
        nodes.node_type || ':' || nodes.node_key as node_id,
        nodes.node_type,
        nodes.node_key,
        case
            when crm_customers.customer_id is not null
                then '0|' || cast(crm_customers.signup_at as {{ dbt.type_string() }}) || '|' || crm_customers.customer_id
            when nodes.node_type = 'crm_customer' then '1|' || nodes.node_type || ':' || nodes.node_key
            else '2|' || nodes.node_type || ':' || nodes.node_key
        end as anchor_rank
    from nodes
    left join crm_customers
        on nodes.node_type = 'crm_customer'
        and nodes.node_key = crm_customers.customer_id

),

{% if scoped %}
kept_links as (

    select * from {{ voc360.kept_identity_links() }}

),

kept_crm_customers as (

    select * from {{ voc360.kept_identity_crm_customers() }}

),

changed_links as (

    {{ voc360.changed_rows(['record_type', 'record_key', 'linked_type', 'linked_key'], 'links', 'kept_links') }}

),

changed_crm_customers as (

    {{ voc360.changed_rows(['customer_id', 'signup_at'], 'crm_customers', 'kept_crm_customers') }}

),

-- nodes that gained or lost a link, whose anchor rank changed, that are new or that are gone
changed_nodes as (

    select record_type || ':' || record_key as node_id from changed_links
    union
    select linked_type || ':' || linked_key from changed_links
    union
    select 'crm_customer:' || customer_id from changed_crm_customers

),

resolved_nodes as (

    select node_id from changed_nodes
    union
    select kept.node_id
    from {{ this }} as kept
    where kept.person_id in (
        select components.person_id
        from {{ this }} as components
        inner join changed_nodes
            on components.node_id = changed_nodes.node_id
    )

),
{% endif %}

scoped_nodes as (

    select * from ranked_nodes
    {%- if scoped %}
    where node_id in (select node_id from resolved_nodes)
    {%- endif %}

),

scoped_edges as (

    select * from edges
    {%- if scoped %}
    where node_id in (select node_id from resolved_nodes)
    {%- endif %}

),

-- Every anchor rank is distinct (it names its node), so its position in anchor-rank order is an integer id of
-- the node that orders like the rank: the rounds join and compare integers, not strings.
numbered_nodes as (

    select
        *,
        row_number() over (order by anchor_rank) as node_number
    from scoped_nodes

),

neighbourhoods as (

    select nodes.node_number, neighbours.node_number as neighbour_number
    from scoped_edges as edges
    inner join numbered_nodes as nodes
        on edges.node_id = nodes.node_id
    inner join numbered_nodes as neighbours
        on edges.neighbour_id = neighbours.node_id

    union

    select node_number, node_number from numbered_nodes

),

labels_0 as (

    select node_number, node_number as label from numbered_nodes

),
{% for i in range(1, iterations + 1) %}
labels_{{ i }} as (

    select
        neighbourhoods.node_number,
        min(previous.label) as label
    from neighbourhoods
    inner join labels_{{ i - 1 }} as previous
        on neighbourhoods.neighbour_number = previous.node_number
    group by neighbourhoods.node_number

),
{% endfor %}
components as (

    select
        nodes.node_type,
        nodes.node_key,
        nodes.node_id,
        anchors.anchor_rank,
        anchors.node_type as anchor_type,
        anchors.node_key as anchor_key
    from numbered_nodes as nodes
    inner join labels_{{ iterations }} as labels
        on nodes.node_number = labels.node_number
    inner join numbered_nodes as anchors
        on labels.label = anchors.node_number

)

select
    node_type,
    node_key,
    node_id,
    'P' || substring(
        {{ dbt.hash("case when anchor_type = 'crm_customer' then anchor_key else anchor_type || ':' || anchor_key end") }},
        1, 16
    ) as person_id,
    case when anchor_type = 'crm_customer' then anchor_key end as anchor_customer_id,
    anchor_type,
    anchor_key,
    anchor_rank
from components
{%- if scoped %}

union all

-- a node gone from the graph: a row without a person takes the place of its old one (post_hook delete_gone_nodes)
select
    cast(null as {{ dbt.type_string() }}) as node_type,
    cast(null as {{ dbt.type_string() }}) as node_key,
    node_id,
    cast(null as {{ dbt.type_string() }}) as person_id,
    cast(null as {{ dbt.type_string() }}) as anchor_customer_id,
    cast(null as {{ dbt.type_string() }}) as anchor_type,
    cast(null as {{ dbt.type_string() }}) as anchor_key,
    cast(null as {{ dbt.type_string() }}) as anchor_rank
from resolved_nodes
where node_id not in (select node_id from ranked_nodes)
{%- endif %}
