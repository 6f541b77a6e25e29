{# One row per maximal run of ASCII letters and digits in expr (a set-returning select expression):
   "会员号C1234567 | 2026" -> "C1234567", "2026" (empty strings where expr starts or ends with a separator). #}
{% macro alnum_tokens(expr) -%}
    {{ return(adapter.dispatch('alnum_tokens', 'voc360')(expr)) }}
{%- endmacro %}

{% macro default__alnum_tokens(expr) -%}
    {{ voc360.not_implemented('alnum_tokens') }}
{%- endmacro %}

{% macro duckdb__alnum_tokens(expr) -%}
    unnest(string_split_regex({{ expr }}, '[^A-Za-z0-9]+'))
{%- endmacro %}

{% macro spark__alnum_tokens(expr) -%}
    explode(split({{ expr }}, '[^A-Za-z0-9]+'))
{%- endmacro %}
