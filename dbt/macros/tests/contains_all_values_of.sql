{#
    Every value of source_relation.source_column (non-NULL) appears in the tested model's `column`
    (optionally among the rows matching `row_filter`): the reverse of the relationships test. Fails with the
    missing values.
#}
{% test contains_all_values_of(model, column, source_relation, source_column, row_filter=none) %}

select distinct expected.{{ source_column }} as missing_value
from {{ source_relation }} as expected
left join (
    select {{ column }} as present_value
    from {{ model }}
    {%- if row_filter %}
    where {{ row_filter }}
    {%- endif %}
) as present
    on expected.{{ source_column }} = present.present_value
where expected.{{ source_column }} is not null
    and present.present_value is null

{% endtest %}
