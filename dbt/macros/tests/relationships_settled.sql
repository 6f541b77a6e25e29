{#
    The relationships test for records whose parent can land later than they do (an order's items before the
    order, a ticket's messages before the ticket): every non-NULL `column_name` value of the tested model has a
    row with that `field` in `to`, except for records landed in the last `late_arrival_days` export days of the
    model, whose parent may still be on its way. A record older than that without a parent fails.
#}
{% test relationships_settled(model, column_name, to, field, landed_column='_partition_date') %}

with children as (
    select {{ column_name }} as child_value, {{ landed_column }} as landed_on
    from {{ model }}
    where {{ column_name }} is not null
),

settled as (
    select child_value
    from children
    where landed_on <= (
        select {{ dbt.dateadd('day', -1 * var('late_arrival_days'), 'max(landed_on)') }} from children
    )
)

select distinct settled.child_value as orphan_value
from settled
left join {{ to }} as parents
    on settled.child_value = parents.{{ field }}
where parents.{{ field }} is null

{% endtest %}
