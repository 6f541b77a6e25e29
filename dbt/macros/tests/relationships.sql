{#
    dbt's relationships test with the parent's keys made distinct first. dbt joins every child row to every
    parent row of its key: against int_person_map, which has a row per record of a person, int_interactions'
    tens of millions of rows fanned out before the orphans could be found. The result is the same: one row
    per child value without a parent. (It replaces dbt's own through the dispatch search order in
    dbt_project.yml.)
#}
{% macro default__test_relationships(model, column_name, to, field) %}

with child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),

parent as (
    select distinct {{ field }} as to_field
    from {{ to }}
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null

{% endmacro %}
