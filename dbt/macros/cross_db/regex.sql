{#
    Regular expressions differ between engines (function names, the flag for "replace every match", how
    backslashes in string literals are read), so models and macros go through these wrappers. Patterns are
    SQL string literals in RE2 syntax without backreferences; RE2 is what DuckDB uses, and a Spark
    implementation has to double the backslashes (Java regex inside a Spark string literal).
#}

{# Replace every match of pattern in expr with replacement (both SQL string literals). #}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'voc360')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    {{ voc360.not_implemented('regexp_replace_all') }}
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}


{# True when pattern (a SQL string literal) matches somewhere in expr; anchor it with ^...$ for a full match. #}
{% macro regexp_like(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_like', 'voc360')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_like(expr, pattern) -%}
    {{ voc360.not_implemented('regexp_like') }}
{%- endmacro %}

{% macro duckdb__regexp_like(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ pattern }})
{%- endmacro %}
