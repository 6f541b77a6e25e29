{# Canonical form of a public social handle: trimmed, lower case, without leading "@"; NULL when empty. #}
{% macro normalise_handle(expr) -%}
    nullif({{ voc360.regexp_replace_all('lower(trim(' ~ expr ~ '))', "'^@+'", "''") }}, '')
{%- endmacro %}
