{#
    on-run-start: on Spark the sources are Parquet files that the landing and ML steps write (landing in
    production: object storage), <VOC360_PARQUET_DIR>/<schema>/<table>/, the raw tables partitioned by
    _partition_date=YYYY-MM-DD. Each run declares them as external tables with the columns of the sources'
    YAML (a column added to a source later reads as NULL in older files) and discovers new partitions;
    the files' types must be those of the YAML (ml/io.py writes the ML outputs so).
    DuckDB reads its sources from the build database: nothing to do.
#}
{% macro register_file_sources() -%}
    {{ return(adapter.dispatch('register_file_sources', 'voc360')()) }}
{%- endmacro %}

{% macro default__register_file_sources() -%}
{%- endmacro %}

{% macro spark__register_file_sources() -%}
    {%- if execute -%}
        {%- set root = env_var('VOC360_PARQUET_DIR') -%}
        {#- the sources that the selected models and tests read; the others keep their last declaration -#}
        {%- set read = [] -%}
        {%- for unique_id in selected_resources -%}
            {%- do read.extend(graph.nodes[unique_id].depends_on.nodes if unique_id in graph.nodes else []) -%}
        {%- endfor -%}
        {%- for node in graph.sources.values() if node.unique_id in read -%}
            {%- set relation = source(node.source_name, node.name) -%}
            {%- set partitioned = '_partition_date' in node.columns -%}
            {%- set columns = [] -%}
            {%- for column in node.columns.values() -%}
                {%- do columns.append(column.name ~ ' ' ~ voc360.spark_type(column.data_type)) -%}
            {%- endfor -%}
            {%- do run_query('create schema if not exists ' ~ relation.schema) -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query(
                'create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                ~ (' partitioned by (_partition_date)' if partitioned else '')
                ~ " location '" ~ root ~ '/' ~ node.schema ~ '/' ~ node.name ~ "'"
            ) -%}
            {%- if partitioned -%}
                {%- do run_query('alter table ' ~ relation ~ ' recover partitions') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{# Spark's name of a type written in the sources' YAML. #}
{% macro spark_type(data_type) -%}
    {{- {'varchar': 'string'}.get(data_type | lower, data_type) -}}
{%- endmacro %}
