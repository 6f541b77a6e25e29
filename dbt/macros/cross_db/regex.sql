{#
    Regular expressions differ between engines (function names, the flag for "replace every match", how
    backslashes in string literals are read), so models and macros go through these wrappers. Patterns are
    SQL string literals in RE2 syntax without backreferences that Java's regex reads alike; RE2 is what
    DuckDB uses, and the Spark implementation doubles the backslashes (Java regex inside a Spark literal).
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

{# Spark replaces every match. #}
{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ voc360.spark_regex_literal(pattern) }}, {{ replacement }})
{%- endmacro %}

{# Spark reads a backslash in a string literal as an escape: a pattern's backslashes are doubled. #}
{% macro spark_regex_literal(pattern) -%}
    {{- pattern | replace('\\', '\\\\') -}}
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

{% macro spark__regexp_like(expr, pattern) -%}
    regexp_like({{ expr }}, {{ voc360.spark_regex_literal(pattern) }})
{%- endmacro %}
