{#
    Written after `<name> as` in a CTE that several parts of a model read: on DuckDB the CTE is inlined into
    each of them (`not materialized`) rather than computed once and held. Over the tens of millions of rows of
    int_interactions, a held CTE spilled to disk and then was scanned once per reader; inlined, each reader
    scans the table for the columns it needs (customer_360 23.7 s to 14.5 s, feat_churn_snapshots 16.4 s to
    8.5 s at medium scale, same rows). Spark does not hold CTEs.
#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'voc360')()) }}
{%- endmacro %}

{% macro default__inline_cte() -%}
{%- endmacro %}

{% macro duckdb__inline_cte() -%}
    not materialized
{%- endmacro %}
