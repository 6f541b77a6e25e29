{#
    Salted SHA-256 of a normalised personal value, as 64 lower-case hex characters; NULL stays NULL.
    The salt is the project var pii_salt (env VOC360_PII_SALT): equal inputs hash equal across sources and
    runs, and without the salt the hashes cannot be reversed by hashing candidate e-mails or phone numbers.
    Always hash the output of a normalise_* macro, never the raw column.
#}
{% macro hash_pii(expr) -%}
    {{ return(adapter.dispatch('hash_pii', 'voc360')(expr)) }}
{%- endmacro %}

{% macro default__hash_pii(expr) -%}
    {{ voc360.not_implemented('hash_pii') }}
{%- endmacro %}

{% macro duckdb__hash_pii(expr) -%}
    sha256('{{ voc360.pii_salt() | replace("'", "''") }}' || ({{ expr }}))
{%- endmacro %}


{% macro pii_salt() -%}
    {%- set salt = var('pii_salt', env_var('VOC360_PII_SALT', '')) | string -%}
    {%- if salt | trim == '' -%}
        {{ exceptions.raise_compiler_error("the pii_salt var (env VOC360_PII_SALT) must not be empty") }}
    {%- endif -%}
    {{ return(salt) }}
{%- endmacro %}
