-- The tag catalogue: one row per tag declared in config/customer_tags.yml, with its description, owner, the
-- SQL of its rule and reason, and how many persons carry it now, so that analysts can read a tag's meaning
-- next to the data.
{%- set tags = voc360.customer_tags() %}

with

customer_tags as (

    select * from {{ ref('dim_customer_tags') }}

),

definitions as (

    {%- for tag in tags %}
    select
        {{ voc360.sql_string(tag['name']) }} as tag,
        {{ voc360.sql_string(tag['description'] | trim) }} as description,
        {{ voc360.sql_string(tag['owner']) }} as owner,
        {{ voc360.sql_string(tag['rule'] | trim) }} as rule_sql,
        {{ voc360.sql_string(tag['reason'] | trim) }} as reason_sql,
        {{ loop.index }} as tag_order
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as tag,
        cast(null as {{ dbt.type_string() }}) as description,
        cast(null as {{ dbt.type_string() }}) as owner,
        cast(null as {{ dbt.type_string() }}) as rule_sql,
        cast(null as {{ dbt.type_string() }}) as reason_sql,
        0 as tag_order
    where 1 = 0
    {%- endfor %}

),

counts as (

    select tag, count(*) as persons
    from customer_tags
    group by tag

)

select
    cast(definitions.tag as {{ dbt.type_string() }}) as tag,
    cast(definitions.description as {{ dbt.type_string() }}) as description,
    cast(definitions.owner as {{ dbt.type_string() }}) as owner,
    cast(definitions.rule_sql as {{ dbt.type_string() }}) as rule_sql,
    cast(definitions.reason_sql as {{ dbt.type_string() }}) as reason_sql,
    cast(definitions.tag_order as {{ dbt.type_int() }}) as tag_order,
    cast(coalesce(counts.persons, 0) as {{ dbt.type_bigint() }}) as persons
from definitions
left join counts
    on definitions.tag = counts.tag
