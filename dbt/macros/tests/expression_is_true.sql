{#
    Every row (optionally only those matching `where_clause`) satisfies the SQL boolean `expression`;
    fails with the rows that do not. NULL counts as a failure unless the expression handles it.
#}
{% test expression_is_true(model, expression, where_clause=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)
    {%- if where_clause %}
    and ({{ where_clause }})
    {%- endif %}

{% endtest %}
