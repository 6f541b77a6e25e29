{#
    dbt-spark's listagg drops the order by (it warns and collects in any order); Spark 4 orders with
    "within group". A limit keeps the first limit_num items: they are joined with a separator that text
    does not hold (chr(1)), cut, and joined again with the delimiter. Found through dbt_project.yml's
    dispatch search order, which puts this project before dbt.
#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set within = ' within group (' ~ order_by_clause ~ ')' if order_by_clause else '' -%}
    {%- if limit_num -%}
        array_join(slice(split(listagg({{ measure }}, chr(1)){{ within }}, chr(1)), 1, {{ limit_num }}), {{ delimiter_text }})
    {%- else -%}
        listagg({{ measure }}, {{ delimiter_text }}){{ within }}
    {%- endif -%}
{%- endmacro %}
