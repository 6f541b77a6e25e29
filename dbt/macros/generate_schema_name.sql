{#
    Models land in the schema their folder configures (staging, intermediate, marts), not in
    "<target schema>_<custom schema>": the warehouse holds one environment per database file, so
    prefixing schemas with the target schema would only add noise for analysts.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
