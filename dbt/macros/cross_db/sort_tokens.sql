{# The space-separated tokens of expr in ascending order, joined by single spaces ("zhang wei" -> "wei zhang"). #}
{% macro sort_tokens(expr) -%}
    {{ return(adapter.dispatch('sort_tokens', 'voc360')(expr)) }}
{%- endmacro %}

{% macro default__sort_tokens(expr) -%}
    {{ voc360.not_implemented('sort_tokens') }}
{%- endmacro %}

{% macro duckdb__sort_tokens(expr) -%}
    array_to_string(list_sort(string_split({{ expr }}, ' ')), ' ')
{%- endmacro %}

{% macro spark__sort_tokens(expr) -%}
    array_join(array_sort(split({{ expr }}, ' ')), ' ')
{%- endmacro %}
