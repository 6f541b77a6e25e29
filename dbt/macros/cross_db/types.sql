{#
    Types that dbt has no cross-database macro for. dbt.type_float() is single precision on DuckDB and
    Spark, too coarse for amounts, hence type_double().
#}

{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'voc360')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}


{% macro type_date() -%}
    {{ return(adapter.dispatch('type_date', 'voc360')()) }}
{%- endmacro %}

{% macro default__type_date() -%}
    date
{%- endmacro %}
