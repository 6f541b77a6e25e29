{#
    The unique test of an incremental model's key over the rows that the run rebuilt (macro rebuilt_by_run):
    delete+insert on the key removes every earlier row whose key a rebuilt row has, so only the rebuilt rows
    can repeat one. A run without a window (a full build) tests every row, and so does every run on Spark,
    whose incremental staging replaces partitions instead (and hands a filter on its partition column to the
    Hive metastore, which fails on the window's far bounds).
#}
{% test unique_among_rebuilt_rows(model, column_name, including_unlanded=false) %}

select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
{%- if target.type != 'spark' %}
    and {{ voc360.rebuilt_by_run(including_unlanded) }}
{%- endif %}
group by {{ column_name }}
having count(*) > 1

{% endtest %}
