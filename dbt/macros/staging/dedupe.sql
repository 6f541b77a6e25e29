{#
    One row per key of relation (a relation or CTE name): the first row by order_by, by default the
    earliest landed one (export day, then file, then line). Exact duplicates and records re-sent in later
    files therefore collapse onto the version that arrived first. Adds the column _dedupe_rank (always 1),
    which the model's final select leaves out.
#}
{% macro dedupe(relation, partition_by, order_by=none) -%}
    {%- set partition_by = [partition_by] if partition_by is string else partition_by -%}
    {%- set order_by = order_by or ['_partition_date', '_source_file', '_line_number'] -%}
    {%- set order_by = [order_by] if order_by is string else order_by -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ partition_by | join(', ') }}
                order by {{ order_by | join(', ') }}
            ) as _dedupe_rank
        from {{ relation }}
    ) as ranked
    where _dedupe_rank = 1
{%- endmacro %}
